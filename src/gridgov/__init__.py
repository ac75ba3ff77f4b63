"""gridgov: a grid-based social governance platform (社会治理多网融合智慧平台)."""

__version__ = "0.1.0"
