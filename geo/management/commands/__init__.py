"""Import, export and load-generation commands for GIS staff and benchmarks."""
