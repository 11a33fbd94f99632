"""HYTE-kerroin: the model (score, rank, euros) and its chapter text."""
