"""Turning files into passages: walk, load (per format), chunk, report."""
