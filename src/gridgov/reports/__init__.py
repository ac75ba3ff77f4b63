"""专题研判: saved analysis views and the weekly, monthly and per-view reports (PDF, XLSX)."""
