"""Limpia: plan, run and publish cleaner production and SCP policy."""

__version__ = "0.1.0"
