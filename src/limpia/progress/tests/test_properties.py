"""Property tests of the progress method (hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ..method import (
    KINDS,
    ROLLED_UP_KINDS,
    STATUSES,
    IndicatorProgress,
    IndicatorSpec,
    Observation,
    Rollup,
    Target,
    indicator_progress,
    rollup,
)

RATE_STATUSES = {"on_track", "acceleration_needed", "limited_progress", "deterioration"}
START = date(2020, 1, 1)

values = st.decimals(min_value=-10_000, max_value=10_000, places=4, allow_nan=False)
# Weights and progress values with many digits, to stress the 28-digit context.
weights = st.decimals(min_value=0, max_value=1_000_000, places=12, allow_nan=False)
positive_weights = weights.filter(lambda w: w > 0)
raw_progress = st.none() | st.decimals(min_value=-3, max_value=3, places=30, allow_nan=False)
days = st.integers(min_value=-400, max_value=3000)


def offset(n):
    return START + timedelta(days=n)


@st.composite
def indicator_results(draw):
    return IndicatorProgress(
        status=draw(st.sampled_from(STATUSES)),
        current_value=None,
        observed_on=None,
        baseline_value=Decimal(0),
        baseline_date=START,
        target=None,
        progress=draw(raw_progress),
        ratio=None,
        forecast_value=None,
        projected_date=None,
        late=False,
        has_data=draw(st.booleans()),
    )


indicator_entries = st.tuples(weights, indicator_results(), st.sampled_from(KINDS))


def node(children):
    return st.builds(
        lambda indicators, kids: rollup(indicators=indicators, children=kids),
        st.lists(indicator_entries, max_size=4),
        st.lists(st.tuples(weights, children), max_size=3),
    )


leaves = st.builds(
    lambda indicators: rollup(indicators=indicators, children=[]),
    st.lists(indicator_entries, max_size=4),
)
trees = st.recursive(leaves, node, max_leaves=12)


@settings(deadline=None)
@given(st.lists(indicator_entries, max_size=5), st.lists(st.tuples(weights, trees), max_size=3))
def test_it_keeps_rollup_progress_and_coverage_within_0_and_1(indicators, children):
    node = rollup(indicators=indicators, children=children)
    for result in [node] + [child for _, child in children]:
        assert result.progress is None or Decimal(0) <= result.progress <= Decimal(1)
        assert result.coverage is None or Decimal(0) <= result.coverage <= Decimal(1)
        assert 0 <= result.indicators_with_data <= result.indicators_total
    assert sum(node.status_counts.values()) == len(indicators) + sum(
        sum(child.status_counts.values()) for _, child in children
    )


@settings(deadline=None)
@given(positive_weights, trees)
def test_it_makes_a_node_with_one_child_equal_that_child(weight, child):
    parent = rollup(indicators=[], children=[(weight, child)])
    assert parent.progress == child.progress
    assert parent.coverage == child.coverage
    assert parent.status_counts == child.status_counts
    assert parent == child


@settings(deadline=None)
@given(positive_weights, indicator_results(), st.sampled_from(ROLLED_UP_KINDS))
def test_it_rolls_a_single_indicator_up_to_its_clamped_progress(weight, result, kind):
    node = rollup(indicators=[(weight, result, kind)], children=[])
    expected = Decimal(0) if result.progress is None else max(0, min(1, result.progress))
    assert node.progress == expected
    assert node.coverage == (Decimal(1) if result.has_data else Decimal(0))
    assert node.status_counts[result.status] == 1


@st.composite
def monotone_cases(draw):
    direction = draw(st.sampled_from(["increase", "decrease"]))
    measure = draw(st.sampled_from(["level", "increment"]))
    baseline = draw(values)
    gap = draw(st.decimals(min_value=0, max_value=10_000, places=4, allow_nan=False))
    target = baseline + gap if direction == "increase" else baseline - gap
    due = draw(days)
    as_of = draw(days)
    # The varied observation is the latest one counted: after the baseline date, up to as_of.
    observed = draw(st.integers(min_value=1, max_value=max(1, as_of)))
    others = draw(
        st.lists(st.tuples(st.integers(min_value=-400, max_value=observed - 1), values), max_size=4)
    )
    low, high = sorted([draw(values), draw(values)])
    spec = IndicatorSpec(
        "quantity", measure, direction, baseline, START, (Target(target, offset(due)),)
    )
    observations = [Observation(offset(n), v) for n, v in others]
    return spec, observations, offset(observed), offset(as_of), low, high


@settings(deadline=None)
@given(monotone_cases())
def test_it_makes_progress_monotone_in_the_observed_value(case):
    spec, others, observed_on, as_of, low, high = case

    def progress(value):
        observations = [*others, Observation(observed_on, value)]
        return indicator_progress(spec, observations, as_of=as_of, plan_start=START).progress

    p_low, p_high = progress(low), progress(high)
    if observed_on > as_of:  # the varied observation is ignored
        assert p_low == p_high
        return
    assert p_low is not None and p_high is not None
    if spec.direction == "increase":
        assert p_low <= p_high
    else:
        assert p_low >= p_high


@st.composite
def any_indicator(draw):
    targets = draw(st.lists(st.builds(Target, values, st.builds(offset, days)), max_size=3))
    spec = IndicatorSpec(
        draw(st.sampled_from(KINDS)),
        draw(st.sampled_from(["level", "increment"])),
        draw(st.sampled_from(["increase", "decrease"])),
        draw(st.none() | values),
        draw(st.none() | st.builds(offset, days)),
        tuple(targets),
    )
    observations = draw(st.lists(st.builds(Observation, st.builds(offset, days), values)))
    return spec, observations, offset(draw(days))


@settings(deadline=None)
@given(any_indicator())
def test_it_always_gives_a_consistent_result(case):
    spec, observations, as_of = case
    res = indicator_progress(spec, observations, as_of=as_of, plan_start=START)
    assert res.status in STATUSES
    if spec.kind == "qualitative":
        assert res.progress is None
        assert res.status in {"reported", "no_data"}
    if spec.kind == "milestone":
        assert res.progress in {Decimal(0), Decimal(1)}
        assert res.status in {"achieved", "missed", "pending"}
    if res.ratio is not None:
        assert res.status in RATE_STATUSES
        assert res.forecast_value is not None
    if res.status in RATE_STATUSES:
        assert res.ratio is not None and res.has_data
    if res.projected_date is not None:
        assert res.progress > 0 and res.projected_date >= res.baseline_date
    if res.progress is not None and spec.kind == "quantity":
        assert res.target is not None and res.current_value is not None
    assert res.late is False or res.status == "achieved"
    assert isinstance(rollup(indicators=[(Decimal(1), res, spec.kind)], children=[]), Rollup)
