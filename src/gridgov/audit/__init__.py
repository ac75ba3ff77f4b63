"""The audit log: every write records who did what, in the same transaction."""
