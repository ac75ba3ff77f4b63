"""Routing: rules and a text model decide who handles a case (推荐转办 / 自动转办)."""
