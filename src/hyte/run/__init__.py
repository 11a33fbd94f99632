"""Running many cards: the parallel incremental batch and warm kernels."""
