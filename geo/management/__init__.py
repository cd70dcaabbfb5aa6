"""Management commands of the spatial core."""
