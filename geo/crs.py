"""Coordinate reference systems: store and serve in EPSG:4326, measure in EPSG:25832."""

STORAGE_SRID = 4326
# ETRS89 / UTM zone 32N, the official CRS of Rhineland-Palatinate: metres, for distances and areas.
METRIC_SRID = 25832
