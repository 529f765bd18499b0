"""Benchmarks: scripts run as `python bench/NAME.py` (or `python -m bench.NAME` from the repository root for those
that import another benchmark or the tests' helpers). They import the installed `scent` package."""
