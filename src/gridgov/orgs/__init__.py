"""Organisations: departments, street/town offices, community committees, social bodies."""
