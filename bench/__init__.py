"""Benchmarks run by hand (never in the test suite): fan-out and the comparison with 0.0.4."""
