"""Limpia's benchmark: `python -m bench` (docs/operations.md, "Benchmarks").

Generates synthetic data (`limpia generate`) at each scale into a fresh database, measures each
read beside its floor in the same run (raw SQL for the same figure, a minimal JSON view on the
same server, openpyxl read + bulk insert for imports), drives `limpia serve` with locust for
throughput, and writes bench/results.md and bench/results.json.
"""
