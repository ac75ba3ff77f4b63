"""GIS一张图: the district on one map — layers, vector tiles, popups and area summaries."""
