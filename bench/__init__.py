"""Benchmarks (not tests): each module runs as ``python -m bench.<name>`` and prints JSON."""
