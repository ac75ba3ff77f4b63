"""分析研判: rollups of the cases, figures, KPI indicators with drill-down."""
