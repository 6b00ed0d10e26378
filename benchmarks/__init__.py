"""Benchmarks that print measured figures; never asserted on wall time."""
