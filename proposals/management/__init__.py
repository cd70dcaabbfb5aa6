"""Management commands of the participation app."""
