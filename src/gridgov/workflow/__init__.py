"""A generic workflow engine: definitions as data, instances with an optimistic version, and a
tamper-evident timeline of steps. It knows nothing of events or disputes."""
