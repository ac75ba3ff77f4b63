"""大屏: the command center's five big screens, composed from the other features' services."""
