"""The demo generator: one module per feature, run in order by :mod:`gridgov.seed.runner`."""
