"""Multi-network fusion (多网融合): departmental networks overlaid on the basic grids, and the
roster of everyone responsible for each grid (一格多员)."""
