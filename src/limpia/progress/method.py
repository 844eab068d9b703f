"""The indicator progress method of Limpia, in plain Python (no Django).

The Django side selects an indicator's approved measurements, converts them to
:class:`Observation` objects and calls :func:`indicator_progress`; it then feeds the
results of a plan node's indicators and the roll-ups of its children to :func:`rollup`.
The method itself is documented for ministry staff and developers in ``docs/progress.md``.

All arithmetic is done with :class:`~decimal.Decimal` in a private context of 28 significant
digits, whatever the caller's context is. Nothing is quantized: callers round for display.
"""

import decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

# Statuses, in display order.
ACHIEVED = "achieved"
ON_TRACK = "on_track"
ACCELERATION_NEEDED = "acceleration_needed"
LIMITED_PROGRESS = "limited_progress"
DETERIORATION = "deterioration"
MISSED = "missed"
NO_DATA = "no_data"
NOT_STARTED = "not_started"
PENDING = "pending"
REPORTED = "reported"
STATUSES = (
    ACHIEVED,
    ON_TRACK,
    ACCELERATION_NEEDED,
    LIMITED_PROGRESS,
    DETERIORATION,
    MISSED,
    NO_DATA,
    NOT_STARTED,
    PENDING,
    REPORTED,
)

# Indicator kinds, measures and directions.
QUANTITY = "quantity"
MILESTONE = "milestone"
QUALITATIVE = "qualitative"
KINDS = (QUANTITY, MILESTONE, QUALITATIVE)
ROLLED_UP_KINDS = (QUANTITY, MILESTONE)

LEVEL = "level"
INCREMENT = "increment"
MEASURES = (LEVEL, INCREMENT)

INCREASE = "increase"
DECREASE = "decrease"
DIRECTIONS = (INCREASE, DECREASE)

# Rate-ratio thresholds: R >= ON_TRACK_RATIO is on track, R >= ACCELERATION_RATIO needs
# acceleration, R >= 0 is limited progress, R < 0 is deterioration.
ON_TRACK_RATIO = Decimal("0.95")
ACCELERATION_RATIO = Decimal("0.60")

PRECISION = 28

_ZERO = Decimal(0)
_ONE = Decimal(1)


def _context() -> decimal.Context:
    return decimal.Context(prec=PRECISION, rounding=decimal.ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Observation:
    """One approved measurement (the caller filters out the others)."""

    date: date
    value: Decimal


@dataclass(frozen=True)
class Target:
    value: Decimal
    due_date: date


@dataclass(frozen=True)
class IndicatorSpec:
    kind: str  # "quantity" | "milestone" | "qualitative"
    measure: str  # "level" | "increment"
    direction: str  # "increase" | "decrease"
    baseline_value: Decimal | None  # None → 0
    baseline_date: date | None  # None → plan_start
    targets: tuple[Target, ...]  # any order; may be empty


@dataclass(frozen=True)
class IndicatorProgress:
    status: str
    current_value: Decimal | None  # y_i (None when no observation is counted)
    observed_on: date | None  # t_i
    baseline_value: Decimal  # y_0
    baseline_date: date  # t_0
    target: Target | None  # the current target
    progress: Decimal | None  # P, not clamped
    ratio: Decimal | None  # R, the rate ratio, when computed
    forecast_value: Decimal | None  # y_0 + R·(y_T − y_0), when R is computed
    projected_date: date | None  # t_0 + (t_i − t_0)/P, when R is computed and P > 0
    late: bool  # a milestone done after its due date
    has_data: bool


@dataclass(frozen=True)
class Rollup:
    progress: Decimal | None  # weighted mean of clamped P; None when nothing to roll up
    coverage: Decimal | None  # share of quantity+milestone indicators with data; None when none
    indicators_total: int  # quantity+milestone indicators in the subtree
    indicators_with_data: int
    status_counts: Mapping[str, int]  # statuses of ALL indicators in the subtree


def clamp(value: Decimal, low: Decimal = _ZERO, high: Decimal = _ONE) -> Decimal:
    """``value`` limited to ``[low, high]``."""
    return max(low, min(high, value))


def current_target(targets: Sequence[Target], as_of: date) -> Target | None:
    """The earliest target due on or after ``as_of``, else the one due last.

    Ties on the due date go to the target given first.
    """
    if not targets:
        return None
    upcoming = [t for t in targets if t.due_date >= as_of]
    if upcoming:
        return min(upcoming, key=lambda t: t.due_date)
    return max(targets, key=lambda t: t.due_date)


def progress_fraction(
    current: Decimal, baseline: Decimal, target: Decimal, direction: str
) -> Decimal:
    """P = (y_i − y_0) / (y_T − y_0); when y_T = y_0, 1 if y_i meets the target, else 0."""
    with decimal.localcontext(_context()):
        span = target - baseline
        if span == 0:
            meets = current >= target if direction == INCREASE else current <= target
            return _ONE if meets else _ZERO
        return (current - baseline) / span


def _validate(spec: IndicatorSpec) -> None:
    if spec.kind not in KINDS:
        raise ValueError(f"unknown indicator kind {spec.kind!r}; expected one of {KINDS}")
    if spec.measure not in MEASURES:
        raise ValueError(f"unknown measure {spec.measure!r}; expected one of {MEASURES}")
    if spec.direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {spec.direction!r}; expected one of {DIRECTIONS}")


def indicator_progress(
    spec: IndicatorSpec,
    observations: Iterable[Observation],
    *,
    as_of: date,
    plan_start: date,
) -> IndicatorProgress:
    """The progress of one indicator on ``as_of``, from its approved observations."""
    _validate(spec)
    # Stable sort: observations on the same date keep the caller's order (the last one wins
    # for a level, the first done one wins for a milestone).
    visible = sorted((o for o in observations if o.date <= as_of), key=lambda o: o.date)
    baseline_value = _ZERO if spec.baseline_value is None else spec.baseline_value
    baseline_date = plan_start if spec.baseline_date is None else spec.baseline_date
    target = current_target(spec.targets, as_of)
    with decimal.localcontext(_context()):
        if spec.kind == QUALITATIVE:
            return _qualitative(visible, baseline_value, baseline_date, target)
        if spec.kind == MILESTONE:
            return _milestone(visible, baseline_value, baseline_date, target, as_of)
        return _quantity(spec, visible, baseline_value, baseline_date, target, as_of)


def _result(
    status: str,
    baseline_value: Decimal,
    baseline_date: date,
    target: Target | None,
    *,
    has_data: bool,
    current: Observation | None = None,
    current_value: Decimal | None = None,
    observed_on: date | None = None,
    progress: Decimal | None = None,
    ratio: Decimal | None = None,
    forecast_value: Decimal | None = None,
    projected_date: date | None = None,
    late: bool = False,
) -> IndicatorProgress:
    if current is not None:
        current_value, observed_on = current.value, current.date
    return IndicatorProgress(
        status=status,
        current_value=current_value,
        observed_on=observed_on,
        baseline_value=baseline_value,
        baseline_date=baseline_date,
        target=target,
        progress=progress,
        ratio=ratio,
        forecast_value=forecast_value,
        projected_date=projected_date,
        late=late,
        has_data=has_data,
    )


def _qualitative(
    visible: list[Observation],
    baseline_value: Decimal,
    baseline_date: date,
    target: Target | None,
) -> IndicatorProgress:
    latest = visible[-1] if visible else None
    status = REPORTED if latest is not None else NO_DATA
    return _result(
        status, baseline_value, baseline_date, target, has_data=bool(visible), current=latest
    )


def _milestone(
    visible: list[Observation],
    baseline_value: Decimal,
    baseline_date: date,
    target: Target | None,
    as_of: date,
) -> IndicatorProgress:
    done = next((o for o in visible if o.value >= _ONE), None)
    if done is not None:
        late = target is not None and done.date > target.due_date
        return _result(
            ACHIEVED,
            baseline_value,
            baseline_date,
            target,
            has_data=True,
            current=done,
            progress=_ONE,
            late=late,
        )
    status = MISSED if target is not None and as_of > target.due_date else PENDING
    latest = visible[-1] if visible else None
    return _result(
        status,
        baseline_value,
        baseline_date,
        target,
        has_data=bool(visible),
        current=latest,
        progress=_ZERO,
    )


def _quantity(
    spec: IndicatorSpec,
    visible: list[Observation],
    y0: Decimal,
    t0: date,
    target: Target | None,
    as_of: date,
) -> IndicatorProgress:
    # Observed value y_i at t_i.
    after_baseline = [o for o in visible if o.date > t0]
    current_value: Decimal | None = None
    observed_on: date | None = None
    if spec.measure == LEVEL:
        if visible:
            current_value, observed_on = visible[-1].value, visible[-1].date
    elif after_baseline:
        current_value = y0 + sum((o.value for o in after_baseline), _ZERO)
        observed_on = after_baseline[-1].date
    has_data = bool(after_baseline)

    def result(status: str, **kwargs) -> IndicatorProgress:
        return _result(
            status,
            y0,
            t0,
            target,
            has_data=has_data,
            current_value=current_value,
            observed_on=observed_on,
            **kwargs,
        )

    if target is None:
        if as_of < t0:
            return result(NOT_STARTED)
        return result(REPORTED if has_data else NO_DATA)

    progress = None
    if current_value is not None:
        progress = progress_fraction(current_value, y0, target.value, spec.direction)

    if progress is not None and progress >= _ONE:
        return result(ACHIEVED, progress=progress)
    if as_of > target.due_date:
        return result(MISSED, progress=progress)
    if as_of < t0:
        return result(NOT_STARTED, progress=progress)
    if not has_data:
        return result(NO_DATA, progress=progress)

    # Here t_0 < t_i <= as_of <= t_T, so both spans below are positive.
    assert progress is not None and observed_on is not None
    elapsed = (observed_on - t0).days
    span = (target.due_date - t0).days
    # R = P / expected fraction, the expected fraction being (t_i − t_0)/(t_T − t_0), or 1 when
    # t_T <= t_0 (defensive: that case is "missed" or "achieved" before getting here).
    ratio = progress if span <= 0 else progress * Decimal(span) / Decimal(elapsed)

    if ratio >= ON_TRACK_RATIO:
        status = ON_TRACK
    elif ratio >= ACCELERATION_RATIO:
        status = ACCELERATION_NEEDED
    elif ratio >= _ZERO:
        status = LIMITED_PROGRESS
    else:
        status = DETERIORATION

    forecast = y0 + ratio * (target.value - y0)
    projected = None
    if progress > _ZERO:
        days = (Decimal(elapsed) / progress).to_integral_value(rounding=decimal.ROUND_HALF_UP)
        try:
            projected = t0 + timedelta(days=int(days))
        except OverflowError:  # beyond date.max: never, for practical purposes
            projected = None
    return result(
        status,
        progress=progress,
        ratio=ratio,
        forecast_value=forecast,
        projected_date=projected,
    )


def _check_weight(weight: Decimal) -> None:
    if weight < 0:
        raise ValueError(f"weights must be >= 0, got {weight}")


def _weighted_mean(terms: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    weighted = [(w, v) for w, v in terms if w > 0]
    if not weighted:
        return None
    if len(weighted) == 1:  # exact: w·v/w may differ from v in the last digit
        return weighted[0][1]
    numerator = sum((w * v for w, v in weighted), _ZERO)
    denominator = sum((w for w, _ in weighted), _ZERO)
    # The mean of values in [0, 1] is in [0, 1]; the clamp only absorbs rounding.
    return clamp(numerator / denominator)


def rollup(
    *,
    indicators: Iterable[tuple[Decimal, IndicatorProgress, str]],
    children: Iterable[tuple[Decimal, Rollup]],
) -> Rollup:
    """Roll a node's indicators ``(weight, result, kind)`` and children ``(weight, rollup)`` up."""
    terms: list[tuple[Decimal, Decimal]] = []
    total = 0
    with_data = 0
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    with decimal.localcontext(_context()):
        for weight, result, kind in indicators:
            _check_weight(weight)
            if kind not in KINDS:
                raise ValueError(f"unknown indicator kind {kind!r}; expected one of {KINDS}")
            counts[result.status] = counts.get(result.status, 0) + 1
            if kind not in ROLLED_UP_KINDS:
                continue
            total += 1
            with_data += int(result.has_data)
            value = _ZERO if result.progress is None else clamp(result.progress)
            terms.append((weight, value))
        for weight, child in children:
            _check_weight(weight)
            total += child.indicators_total
            with_data += child.indicators_with_data
            for status, count in child.status_counts.items():
                counts[status] = counts.get(status, 0) + count
            # A child without quantity or milestone indicators is left out; so is one whose
            # own weights are all zero (its progress is None).
            if child.indicators_total > 0 and child.progress is not None:
                terms.append((weight, clamp(child.progress)))
        progress = _weighted_mean(terms)
        coverage = Decimal(with_data) / Decimal(total) if total else None
    return Rollup(
        progress=progress,
        coverage=coverage,
        indicators_total=total,
        indicators_with_data=with_data,
        status_counts=counts,
    )
