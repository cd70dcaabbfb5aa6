"""Pages of participation: thin views over selectors and services."""
