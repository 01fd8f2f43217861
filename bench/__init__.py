"""Benchmarks: each module has a ``run()`` that prints its figures (``make bench`` runs them all)."""
