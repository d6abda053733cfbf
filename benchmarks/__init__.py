"""Benchmarks: pakta against the naive loops, on the same machine in the same run."""
