"""Kedro pipelines: thin wrappers over the library, one folder per pipeline name."""
