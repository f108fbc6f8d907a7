"""Locust load and soak tests of the served ensembles (127.0.0.1 only)."""
