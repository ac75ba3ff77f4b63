"""Base data (基础数据): people, households, special groups, buildings, houses, city components,
cameras, places, and any number of admin-defined resource categories."""
