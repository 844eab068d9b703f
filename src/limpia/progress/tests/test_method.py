"""Hand-computed examples of every branch of the progress method.

The ``test_it_reproduces_doc_example_*`` tests carry the worked examples of docs/progress.md;
keep both in step.
"""

from datetime import date
from decimal import Decimal

import pytest

from ..method import (
    STATUSES,
    IndicatorProgress,
    IndicatorSpec,
    Observation,
    Rollup,
    Target,
    current_target,
    indicator_progress,
    rollup,
)

D = Decimal

# A quantity indicator with round numbers: baseline 10 on 2021-01-01, target 30 due 100 days
# later (2021-04-11). An observation on 2021-02-20 is 50 days in, so half of the time is gone.
T0 = date(2021, 1, 1)
HALF = date(2021, 2, 20)
DUE = date(2021, 4, 11)
AS_OF = date(2021, 3, 1)
BASELINE = D(10)
TARGETS = (Target(D(30), DUE),)


def quantity(
    *,
    measure="level",
    direction="increase",
    baseline_value=BASELINE,
    baseline_date=T0,
    targets=TARGETS,
):
    return IndicatorSpec("quantity", measure, direction, baseline_value, baseline_date, targets)


def obs(day, value):
    return Observation(day, D(value))


def level_at_half(value, **kwargs):
    """The base quantity indicator with one level observation half way."""
    return indicator_progress(quantity(**kwargs), [obs(HALF, value)], as_of=AS_OF, plan_start=T0)


def result(status, progress=None, *, has_data=True):
    """A hand-made indicator result for roll-up tests."""
    return IndicatorProgress(
        status=status,
        current_value=None,
        observed_on=None,
        baseline_value=D(0),
        baseline_date=T0,
        target=None,
        progress=progress,
        ratio=None,
        forecast_value=None,
        projected_date=None,
        late=False,
        has_data=has_data,
    )


def counts(**nonzero):
    return {status: nonzero.get(status, 0) for status in STATUSES}


# --- Observed value, baseline and current target -------------------------------------------


def test_it_keeps_statuses_in_display_order():
    assert STATUSES == (
        "achieved",
        "on_track",
        "acceleration_needed",
        "limited_progress",
        "deterioration",
        "missed",
        "no_data",
        "not_started",
        "pending",
        "reported",
    )


def test_it_uses_the_latest_level_observation_up_to_as_of():
    observations = [obs(date(2021, 3, 5), 40), obs(HALF, 20), obs(date(2021, 1, 21), 14)]
    res = indicator_progress(quantity(), observations, as_of=AS_OF, plan_start=T0)
    assert (res.current_value, res.observed_on) == (D(20), HALF)
    assert res.progress == D("0.5")


def test_it_uses_the_last_given_level_observation_when_two_share_a_date():
    res = indicator_progress(quantity(), [obs(HALF, 18), obs(HALF, 20)], as_of=AS_OF, plan_start=T0)
    assert res.current_value == D(20)


def test_it_sums_increments_after_the_baseline_date_up_to_as_of():
    spec = quantity(
        measure="increment", baseline_value=None, baseline_date=None, targets=(Target(D(100), DUE),)
    )
    observations = [
        obs(T0, 7),  # on the baseline date: already in the baseline, not counted
        obs(date(2021, 1, 21), 20),
        obs(HALF, 30),
        obs(date(2021, 3, 15), 40),  # after as_of: ignored
    ]
    res = indicator_progress(spec, observations, as_of=AS_OF, plan_start=T0)
    assert (res.baseline_value, res.baseline_date) == (D(0), T0)
    assert (res.current_value, res.observed_on) == (D(50), HALF)
    assert res.progress == D("0.5")
    assert res.ratio == D(1)
    assert res.status == "on_track"
    assert res.forecast_value == D(100)
    assert res.projected_date == DUE


def test_it_adds_increments_to_a_nonzero_baseline():
    spec = quantity(measure="increment")
    res = indicator_progress(
        spec, [obs(date(2021, 1, 21), 4), obs(HALF, 6)], as_of=AS_OF, plan_start=T0
    )
    assert res.current_value == D(20)
    assert res.progress == D("0.5")


def test_it_defaults_the_baseline_to_zero_at_plan_start():
    spec = quantity(baseline_value=None, baseline_date=None)
    res = indicator_progress(spec, [obs(HALF, 15)], as_of=AS_OF, plan_start=T0)
    assert (res.baseline_value, res.baseline_date) == (D(0), T0)
    assert res.progress == D("0.5")
    assert res.ratio == D(1)


def test_it_picks_the_earliest_target_due_on_or_after_as_of():
    t2010, t2007, t2008 = (
        Target(D(2000), date(2010, 12, 31)),
        Target(D(800), date(2007, 12, 31)),
        Target(D(1400), date(2008, 12, 31)),
    )
    targets = (t2010, t2007, t2008)
    assert current_target(targets, date(2007, 6, 30)) is t2007
    assert current_target(targets, date(2007, 12, 31)) is t2007
    assert current_target(targets, date(2008, 1, 1)) is t2008
    assert current_target(targets, date(2009, 1, 1)) is t2010


def test_it_picks_the_last_target_when_all_are_past():
    t2010, t2007 = Target(D(2000), date(2010, 12, 31)), Target(D(800), date(2007, 12, 31))
    assert current_target((t2010, t2007), date(2011, 3, 31)) is t2010
    assert current_target((t2007, t2010), date(2011, 3, 31)) is t2010


def test_it_breaks_due_date_ties_by_the_order_given():
    first, second = Target(D(5), DUE), Target(D(6), DUE)
    assert current_target((first, second), AS_OF) is first
    assert current_target((first, second), date(2022, 1, 1)) is first
    assert current_target((), AS_OF) is None


def test_it_reports_the_current_target_in_the_result():
    early, late = Target(D(20), date(2021, 2, 1)), Target(D(30), DUE)
    spec = quantity(targets=(late, early))
    assert indicator_progress(spec, [], as_of=date(2021, 1, 15), plan_start=T0).target is early
    assert indicator_progress(spec, [], as_of=AS_OF, plan_start=T0).target is late


# --- Quantity statuses ------------------------------------------------------------------------


def test_it_is_on_track_when_progress_keeps_pace_with_time():
    res = level_at_half(20)  # P = 10/20 = 0.5 after half the time: R = 1
    assert res.status == "on_track"
    assert (res.progress, res.ratio) == (D("0.5"), D(1))
    assert res.forecast_value == D(30)
    assert res.projected_date == DUE  # t0 + 50 / 0.5 days
    assert res.has_data is True
    assert res.late is False


def test_it_is_on_track_at_a_ratio_of_exactly_095():
    res = level_at_half("19.5")  # P = 0.475, R = 0.95
    assert (res.progress, res.ratio, res.status) == (D("0.475"), D("0.95"), "on_track")


def test_it_needs_acceleration_between_060_and_095():
    res = level_at_half(17)  # P = 0.35, R = 0.7
    assert (res.progress, res.ratio, res.status) == (D("0.35"), D("0.7"), "acceleration_needed")
    assert res.forecast_value == D(24)  # 10 + 0.7 * 20
    assert res.projected_date == date(2021, 5, 24)  # t0 + round(50 / 0.35 = 142.857...) = +143


def test_it_needs_acceleration_at_the_boundaries():
    assert level_at_half("19.4").ratio == D("0.94")
    assert level_at_half("19.4").status == "acceleration_needed"
    assert level_at_half(16).ratio == D("0.6")
    assert level_at_half(16).status == "acceleration_needed"


def test_it_is_limited_progress_between_0_and_060():
    res = level_at_half(13)  # P = 0.15, R = 0.3
    assert (res.progress, res.ratio, res.status) == (D("0.15"), D("0.3"), "limited_progress")
    assert res.forecast_value == D(16)  # 10 + 0.3 * 20
    assert res.projected_date == date(2021, 11, 30)  # t0 + round(333.33...) = +333
    assert level_at_half("15.9").ratio == D("0.59")
    assert level_at_half("15.9").status == "limited_progress"


def test_it_is_limited_progress_without_projected_date_at_zero_progress():
    res = level_at_half(10)
    assert (res.progress, res.ratio, res.status) == (D(0), D(0), "limited_progress")
    assert res.forecast_value == D(10)
    assert res.projected_date is None


def test_it_is_deterioration_when_moving_away_from_the_target():
    res = level_at_half(8)  # P = -0.1, R = -0.2
    assert (res.progress, res.ratio, res.status) == (D("-0.1"), D("-0.2"), "deterioration")
    assert res.forecast_value == D(6)
    assert res.projected_date is None


def test_it_rounds_the_projected_date_half_up():
    res = level_at_half(26)  # P = 0.8, R = 1.6; 50 / 0.8 = 62.5 days -> 63
    assert res.ratio == D("1.6")
    assert res.forecast_value == D(42)
    assert res.projected_date == date(2021, 3, 5)


def test_it_is_achieved_when_progress_reaches_one():
    res = level_at_half(30)
    assert (res.progress, res.status) == (D(1), "achieved")
    assert (res.ratio, res.forecast_value, res.projected_date) == (None, None, None)


def test_it_does_not_clamp_overachievement():
    res = level_at_half(35)
    assert (res.progress, res.status) == (D("1.25"), "achieved")


def test_it_is_achieved_after_the_due_date_too():
    res = indicator_progress(quantity(), [obs(HALF, 31)], as_of=date(2022, 1, 1), plan_start=T0)
    assert res.status == "achieved"


def test_it_is_missed_after_the_due_date_without_reaching_the_target():
    observations = [obs(date(2021, 4, 1), 25)]
    res = indicator_progress(quantity(), observations, as_of=date(2021, 5, 1), plan_start=T0)
    assert (res.progress, res.status) == (D("0.75"), "missed")
    assert (res.ratio, res.forecast_value, res.projected_date) == (None, None, None)


def test_it_is_missed_after_the_due_date_without_any_data():
    res = indicator_progress(quantity(), [], as_of=date(2021, 5, 1), plan_start=T0)
    assert res.status == "missed"
    assert (res.progress, res.current_value, res.has_data) == (None, None, False)


def test_it_is_not_started_before_the_baseline_date():
    res = indicator_progress(quantity(), [], as_of=date(2020, 12, 15), plan_start=T0)
    assert res.status == "not_started"
    assert (res.progress, res.current_value, res.has_data) == (None, None, False)


def test_it_is_no_data_without_observations():
    res = indicator_progress(quantity(), [], as_of=AS_OF, plan_start=T0)
    assert res.status == "no_data"
    assert (res.current_value, res.observed_on, res.progress, res.ratio) == (None,) * 4
    assert res.has_data is False


def test_it_is_no_data_with_a_level_observation_only_on_the_baseline_date():
    res = indicator_progress(quantity(), [obs(T0, 12)], as_of=AS_OF, plan_start=T0)
    assert res.status == "no_data"
    assert (res.current_value, res.progress) == (D(12), D("0.1"))
    assert (res.ratio, res.has_data) == (None, False)


def test_it_is_no_data_when_increments_are_all_after_as_of():
    spec = quantity(measure="increment")
    res = indicator_progress(spec, [obs(date(2021, 3, 2), 5)], as_of=AS_OF, plan_start=T0)
    assert res.status == "no_data"
    assert (res.current_value, res.progress, res.has_data) == (None, None, False)


# --- Direction "decrease" and flat targets ----------------------------------------------------


def decrease(value, as_of=date(2014, 3, 31)):
    """Water use 12.0 m3/t on 2013-01-01, target 9.0 by 2015-01-01; measured on 2014-01-01."""
    spec = IndicatorSpec(
        "quantity",
        "level",
        "decrease",
        D("12.0"),
        date(2013, 1, 1),
        (Target(D("9.0"), date(2015, 1, 1)),),
    )
    return indicator_progress(
        spec, [obs(date(2014, 1, 1), value)], as_of=as_of, plan_start=date(2013, 1, 1)
    )


def test_it_reproduces_doc_example_2_water_use_decrease():
    res = decrease("11.4")  # P = -0.6 / -3 = 0.2 after 365 of 730 days: R = 0.4
    assert (res.progress, res.ratio, res.status) == (D("0.2"), D("0.4"), "limited_progress")
    assert res.forecast_value == D("10.8")  # 12 + 0.4 * (9 - 12)
    assert res.projected_date == date(2017, 12, 31)  # 2013-01-01 + 365 / 0.2 = +1825 days


def test_it_measures_a_decrease_that_keeps_pace():
    res = decrease("10.5")
    assert (res.progress, res.ratio, res.status) == (D("0.5"), D(1), "on_track")
    assert res.forecast_value == D("9.0")


def test_it_measures_a_decrease_going_the_wrong_way_as_deterioration():
    res = decrease("12.6")
    assert (res.progress, res.ratio, res.status) == (D("-0.2"), D("-0.4"), "deterioration")
    assert res.forecast_value == D("13.2")
    assert res.projected_date is None


def test_it_measures_a_decrease_past_the_target_as_achieved():
    res = decrease("8.7")
    assert (res.progress, res.status) == (D("1.1"), "achieved")


def test_it_gives_full_progress_to_a_flat_increase_target_that_is_met():
    res = level_at_half(100, baseline_value=D(100), targets=(Target(D(100), DUE),))
    assert (res.progress, res.status) == (D(1), "achieved")


def test_it_gives_no_progress_to_a_flat_increase_target_that_is_not_met():
    res = level_at_half(99, baseline_value=D(100), targets=(Target(D(100), DUE),))
    assert (res.progress, res.ratio, res.status) == (D(0), D(0), "limited_progress")


def test_it_gives_full_progress_to_a_flat_decrease_target_that_is_met():
    res = level_at_half(
        98, direction="decrease", baseline_value=D(100), targets=(Target(D(100), DUE),)
    )
    assert (res.progress, res.status) == (D(1), "achieved")


def test_it_gives_no_progress_to_a_flat_decrease_target_that_is_not_met():
    res = level_at_half(
        "100.5", direction="decrease", baseline_value=D(100), targets=(Target(D(100), DUE),)
    )
    assert (res.progress, res.status) == (D(0), "limited_progress")


# --- No targets -------------------------------------------------------------------------------


def test_it_is_no_data_without_targets_or_observations():
    res = indicator_progress(quantity(targets=()), [], as_of=AS_OF, plan_start=T0)
    assert (res.status, res.progress, res.target, res.has_data) == ("no_data", None, None, False)


def test_it_is_reported_without_targets_but_with_observations():
    res = indicator_progress(quantity(targets=()), [obs(HALF, 20)], as_of=AS_OF, plan_start=T0)
    assert (res.status, res.progress, res.ratio) == ("reported", None, None)
    assert (res.current_value, res.observed_on, res.has_data) == (D(20), HALF, True)


def test_it_is_not_started_without_targets_before_the_baseline_date():
    res = indicator_progress(quantity(targets=()), [], as_of=date(2020, 6, 1), plan_start=T0)
    assert res.status == "not_started"


# --- Doc example 1: "2.000 nuevas empresas adheridas a APL al 2010" ---------------------------

APL_START = date(2006, 1, 1)
APL_TARGETS = (Target(D(2000), date(2010, 12, 31)), Target(D(800), date(2007, 12, 31)))
APL_OBSERVATIONS = [
    obs(date(2006, 12, 31), 280),
    obs(date(2007, 12, 31), 350),
    obs(date(2008, 12, 31), 450),
    obs(date(2009, 12, 31), 470),
    obs(date(2010, 12, 31), 520),
]


def apl(as_of):
    spec = IndicatorSpec("quantity", "increment", "increase", None, None, APL_TARGETS)
    return indicator_progress(spec, APL_OBSERVATIONS, as_of=as_of, plan_start=APL_START)


def test_it_reproduces_doc_example_1_apl_companies_mid_plan():
    res = apl(date(2009, 6, 30))
    assert res.target == Target(D(2000), date(2010, 12, 31))
    assert (res.current_value, res.observed_on) == (D(1080), date(2008, 12, 31))
    assert res.progress == D("0.54")  # 1080 / 2000
    assert res.ratio == D("0.9")  # 0.54 / (1095 / 1825)
    assert res.status == "acceleration_needed"
    assert res.forecast_value == D(1800)
    assert res.projected_date == date(2011, 7, 22)  # 2006-01-01 + round(1095 / 0.54 = 2027.8)


def test_it_reproduces_doc_example_1_apl_companies_at_the_intermediate_target():
    res = apl(date(2007, 12, 31))
    assert res.target == Target(D(800), date(2007, 12, 31))
    assert (res.current_value, res.observed_on) == (D(630), date(2007, 12, 31))
    assert res.progress == D("0.7875")
    assert res.ratio == D("0.7875")  # all the time is gone: 729 / 729 days
    assert res.status == "acceleration_needed"
    assert res.forecast_value == D(630)
    assert res.projected_date == date(2008, 7, 15)  # 2006-01-01 + round(925.7) days


def test_it_reproduces_doc_example_1_apl_companies_after_the_plan():
    res = apl(date(2011, 3, 31))
    assert res.target == Target(D(2000), date(2010, 12, 31))  # the last target
    assert res.current_value == D(2070)
    assert (res.progress, res.status) == (D("1.035"), "achieved")


# --- Milestones -------------------------------------------------------------------------------

LAW_START = date(2010, 1, 1)
LAW_DUE = date(2011, 12, 31)


LAW_TARGETS = (Target(D(1), LAW_DUE),)


def law(observations, as_of, targets=LAW_TARGETS):
    spec = IndicatorSpec("milestone", "level", "increase", None, None, targets)
    return indicator_progress(spec, observations, as_of=as_of, plan_start=LAW_START)


LAW_OBSERVATIONS = [obs(date(2012, 3, 15), 1), obs(date(2011, 6, 30), 0)]


def test_it_reproduces_doc_example_3_milestone_pending():
    res = law(LAW_OBSERVATIONS, date(2011, 9, 30))
    assert (res.status, res.progress, res.late) == ("pending", D(0), False)
    assert (res.current_value, res.observed_on, res.has_data) == (D(0), date(2011, 6, 30), True)


def test_it_reproduces_doc_example_3_milestone_missed():
    res = law(LAW_OBSERVATIONS, date(2012, 1, 15))
    assert (res.status, res.progress, res.late) == ("missed", D(0), False)


def test_it_reproduces_doc_example_3_milestone_achieved_late():
    res = law(LAW_OBSERVATIONS, date(2012, 6, 30))
    assert (res.status, res.progress, res.late) == ("achieved", D(1), True)
    assert (res.current_value, res.observed_on) == (D(1), date(2012, 3, 15))
    assert (res.ratio, res.forecast_value, res.projected_date) == (None, None, None)


def test_it_marks_a_milestone_done_on_time_as_not_late():
    res = law([obs(date(2011, 11, 30), 1)], date(2012, 6, 30))
    assert (res.status, res.progress, res.late) == ("achieved", D(1), False)


def test_it_marks_a_milestone_done_on_its_due_date_as_not_late():
    res = law([obs(LAW_DUE, 1)], date(2012, 6, 30))
    assert (res.status, res.late) == ("achieved", False)


def test_it_dates_a_milestone_by_its_first_done_observation():
    observations = [obs(date(2012, 5, 1), 1), obs(date(2011, 12, 1), 1), obs(date(2012, 2, 1), 0)]
    res = law(observations, date(2012, 6, 30))
    assert (res.observed_on, res.late) == (date(2011, 12, 1), False)


def test_it_ignores_a_milestone_done_after_as_of():
    res = law([obs(date(2011, 10, 1), 1)], date(2011, 9, 30))
    assert (res.status, res.progress, res.has_data) == ("pending", D(0), False)
    assert res.current_value is None


def test_it_never_misses_a_milestone_without_target():
    res = law([], date(2030, 1, 1), targets=())
    assert (res.status, res.progress, res.target) == ("pending", D(0), None)
    done = law([obs(date(2029, 1, 1), 1)], date(2030, 1, 1), targets=())
    assert (done.status, done.progress, done.late) == ("achieved", D(1), False)


# --- Qualitative ------------------------------------------------------------------------------


def qualitative(as_of):
    spec = IndicatorSpec("qualitative", "level", "increase", None, None, ())
    return indicator_progress(spec, [obs(date(2021, 2, 1), 1)], as_of=as_of, plan_start=T0)


def test_it_reports_a_qualitative_indicator_with_an_observation():
    res = qualitative(AS_OF)
    assert (res.status, res.progress, res.has_data) == ("reported", None, True)
    assert res.observed_on == date(2021, 2, 1)


def test_it_gives_no_data_for_a_qualitative_indicator_observed_after_as_of():
    res = qualitative(date(2021, 1, 15))
    assert (res.status, res.progress, res.has_data) == ("no_data", None, False)


# --- Validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value", [("kind", "ratio"), ("measure", "stock"), ("direction", "up")]
)
def test_it_rejects_unknown_spec_values(field, value):
    values = {"kind": "quantity", "measure": "level", "direction": "increase"}
    values[field] = value
    spec = IndicatorSpec(values["kind"], values["measure"], values["direction"], None, None, ())
    with pytest.raises(ValueError, match=value):
        indicator_progress(spec, [], as_of=AS_OF, plan_start=T0)


# --- Roll-up ----------------------------------------------------------------------------------


def doc_example_4():
    line_1_1 = rollup(
        indicators=[
            (D(1), result("achieved", D("1.25")), "quantity"),
            (D(1), result("deterioration", D("-0.2")), "quantity"),
            (D(2), result("no_data", None, has_data=False), "quantity"),
        ],
        children=[],
    )
    line_1_2 = rollup(indicators=[], children=[])
    objective_1 = rollup(
        indicators=[
            (D(2), result("acceleration_needed", D("0.54")), "quantity"),
            (D(1), result("achieved", D(1)), "milestone"),
            (D(1), result("reported", None), "qualitative"),
        ],
        children=[(D(1), line_1_1), (D(5), line_1_2)],
    )
    return line_1_1, line_1_2, objective_1


def test_it_reproduces_doc_example_4_rollup_of_a_line_with_clamping():
    line_1_1, _, _ = doc_example_4()
    assert line_1_1.progress == D("0.25")  # (1·1 + 1·0 + 2·0) / 4
    assert line_1_1.coverage == D(2) / D(3)
    assert (line_1_1.indicators_total, line_1_1.indicators_with_data) == (3, 2)
    assert line_1_1.status_counts == counts(achieved=1, deterioration=1, no_data=1)


def test_it_reproduces_doc_example_4_rollup_of_an_empty_line():
    _, line_1_2, _ = doc_example_4()
    assert line_1_2 == Rollup(None, None, 0, 0, counts())


def test_it_reproduces_doc_example_4_rollup_of_the_objective():
    _, _, objective_1 = doc_example_4()
    assert objective_1.progress == D("0.5825")  # (2·0.54 + 1·1 + 1·0.25) / 4
    assert objective_1.coverage == D("0.8")  # (2 + 2) / (2 + 3)
    assert (objective_1.indicators_total, objective_1.indicators_with_data) == (5, 4)
    assert objective_1.status_counts == counts(
        achieved=2, acceleration_needed=1, deterioration=1, no_data=1, reported=1
    )


def test_it_lists_status_counts_in_display_order():
    _, _, objective_1 = doc_example_4()
    assert tuple(objective_1.status_counts) == STATUSES


def test_it_gives_no_progress_to_a_node_with_only_qualitative_indicators():
    node = rollup(indicators=[(D(1), result("reported"), "qualitative")], children=[])
    assert (node.progress, node.coverage, node.indicators_total) == (None, None, 0)
    assert node.status_counts == counts(reported=1)


def test_it_gives_no_progress_when_all_weights_are_zero():
    node = rollup(indicators=[(D(0), result("achieved", D(1)), "quantity")], children=[])
    assert (node.progress, node.coverage) == (None, D(1))


def test_it_leaves_out_a_child_whose_weights_are_all_zero():
    child = rollup(indicators=[(D(0), result("no_data", has_data=False), "quantity")], children=[])
    node = rollup(
        indicators=[(D(1), result("on_track", D("0.4")), "quantity")],
        children=[(D(3), child)],
    )
    assert node.progress == D("0.4")
    assert node.coverage == D("0.5")


def test_it_ignores_zero_weight_items_in_the_mean():
    node = rollup(
        indicators=[
            (D(0), result("achieved", D(1)), "quantity"),
            (D(3), result("on_track", D("0.5")), "quantity"),
            (D(1), result("limited_progress", D("0.1")), "milestone"),
        ],
        children=[],
    )
    assert node.progress == D("0.4")  # (3·0.5 + 1·0.1) / 4


def test_it_rejects_negative_weights():
    with pytest.raises(ValueError):
        rollup(indicators=[(D(-1), result("achieved", D(1)), "quantity")], children=[])
    with pytest.raises(ValueError):
        rollup(indicators=[], children=[(D(-1), rollup(indicators=[], children=[]))])


def test_it_rejects_unknown_kinds_in_a_rollup():
    with pytest.raises(ValueError, match="ratio"):
        rollup(indicators=[(D(1), result("achieved", D(1)), "ratio")], children=[])


def test_it_rolls_up_real_results():
    apl_result = apl(date(2009, 6, 30))
    law_result = law(LAW_OBSERVATIONS, date(2009, 6, 30))
    node = rollup(
        indicators=[(D(1), apl_result, "quantity"), (D(1), law_result, "milestone")],
        children=[],
    )
    assert law_result.status == "pending"
    assert node.progress == D("0.27")  # (0.54 + 0) / 2
    assert node.coverage == D("0.5")
