"""Demo data for `make run` and deterministic synthetic data at city scale."""
