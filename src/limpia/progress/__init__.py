"""Indicator progress method (pure Python; see docs/progress.md)."""

from .method import (
    STATUSES,
    IndicatorProgress,
    IndicatorSpec,
    Observation,
    Rollup,
    Target,
    indicator_progress,
    rollup,
)

__all__ = [
    "STATUSES",
    "IndicatorProgress",
    "IndicatorSpec",
    "Observation",
    "Rollup",
    "Target",
    "indicator_progress",
    "rollup",
]
