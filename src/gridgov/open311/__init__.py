"""Open311 GeoReport v2: the standard API other systems exchange cases through."""
