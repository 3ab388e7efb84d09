"""Benchmarks against cleanlab, run in one process on the same arrays (`labelaudit bench`)."""
