"""Kedro datasets of this project (atomic file writes; DVC versions the files, Kedro does not)."""
