"""Benchmarks, run with ``make bench``; they print figures and are not timed tests."""
