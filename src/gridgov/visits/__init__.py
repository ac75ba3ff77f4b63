"""Household visits (入户走访) by grid workers and community staff."""
