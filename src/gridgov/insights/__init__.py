"""热点与预测: hotspots, high-frequency persons and the volume forecast (read-only)."""
