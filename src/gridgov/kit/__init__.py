"""Domain-free helpers: errors, pagination, clock, geo."""
