"""The map keeps no tables of its own; it adds two indexes to the cases table, declared here
beside the queries that need them (``gis/repository.py``) and created by migration 0010_gis."""

from __future__ import annotations

from sqlalchemy import Index

from gridgov.events.models import Event

# Recent cases in a box (area summary, event tiles): the time window is the narrow part and
# the box is tested inside the index, so only matching rows are read from the table.
EVENTS_RECENT_IN_BOX = Index("ix_events_created_lon_lat", Event.created_at, Event.lon, Event.lat)
# A grid worker's latest own report (their believed position until patrol tracks exist).
EVENTS_LATEST_BY_REPORTER = Index("ix_events_reporter_latest", Event.reporter_id, Event.id)
