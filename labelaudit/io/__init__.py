"""Reading labels and probabilities from files, and writing reports atomically."""
