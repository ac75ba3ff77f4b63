"""Worker management (网格员管理): a read-only view over accounts, patrols, events, visits and
tasks: the roster, live positions, nearest workers, worker pages and daily reports."""
