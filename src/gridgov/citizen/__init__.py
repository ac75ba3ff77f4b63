"""Citizen channel: the public mobile app, phone verification, anonymous devices."""
