"""Benchmarks: each ``bench/<name>.py`` has a ``run()`` that prints its figures (``make bench``).

A benchmark is a script that prints numbers, never a timed assertion in the test suite.
"""
