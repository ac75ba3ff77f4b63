"""Notifications: an in-app inbox per account, and a pluggable interface for other senders."""
