"""Training: optimiser construction, learning-rate schedule, the epoch loop."""
