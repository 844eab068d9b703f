"""Hand-computed examples of the schedule method and properties on random dates.

The ``test_it_reproduces_doc_example_*`` tests carry the worked examples of docs/network.md;
keep both in step.
"""

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from ..method import (
    CommitmentState,
    Period,
    active_on,
    activity_changes,
    add_months,
    clip,
    one_off_state,
    operating_interval,
    periods,
    recurring_state,
)

S = CommitmentState
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


# ---------------------------------------------------------------- one-off commitments


def test_it_reproduces_doc_example_one_off():
    """docs/network.md: «Elevar la Recomendación a la XVI Reunión del Foro», due 2008-01-27."""
    due = date(2008, 1, 27)
    assert one_off_state(due_on=due, done_on=None, as_of=date(2008, 1, 10)) == S.OPEN
    assert one_off_state(due_on=due, done_on=None, as_of=date(2008, 1, 27)) == S.OPEN
    assert one_off_state(due_on=due, done_on=None, as_of=date(2008, 1, 28)) == S.OVERDUE
    done = date(2008, 1, 20)
    assert one_off_state(due_on=due, done_on=done, as_of=date(2008, 1, 19)) == S.OPEN
    assert one_off_state(due_on=due, done_on=done, as_of=date(2008, 3, 1)) == S.DONE
    late = date(2008, 2, 5)
    assert one_off_state(due_on=due, done_on=late, as_of=date(2008, 2, 1)) == S.OVERDUE
    assert one_off_state(due_on=due, done_on=late, as_of=date(2008, 3, 1)) == S.DONE_LATE


def test_a_commitment_without_a_due_date_is_never_late():
    assert one_off_state(due_on=None, done_on=None, as_of=date(2040, 1, 1)) == S.OPEN
    assert one_off_state(due_on=None, done_on=date(2009, 1, 1), as_of=date(2010, 1, 1)) == S.DONE


def test_cancelled_wins():
    assert (
        one_off_state(due_on=date(2008, 1, 1), done_on=None, as_of=date(2009, 1, 1), cancelled=True)
        == S.CANCELLED
    )


@given(due=days, done=st.none() | days, as_of=days)
def test_one_off_states_follow_the_dates(due, done, as_of):
    state = one_off_state(due_on=due, done_on=done, as_of=as_of)
    done_by_then = done is not None and done <= as_of
    if done_by_then:
        assert state == (S.DONE_LATE if done > due else S.DONE)
    else:
        assert state == (S.OVERDUE if as_of > due else S.OPEN)


# ---------------------------------------------------------------- periods


def test_months_are_added_on_the_calendar():
    assert add_months(date(2008, 1, 31), 1) == date(2008, 2, 29)
    assert add_months(date(2008, 11, 15), 3) == date(2009, 2, 15)
    assert add_months(date(2008, 1, 1), 24) == date(2010, 1, 1)


def test_periods_run_up_to_the_one_that_contains_the_day():
    assert periods(date(2008, 1, 1), 12, date(2009, 3, 1)) == [
        Period(date(2008, 1, 1), date(2008, 12, 31)),
        Period(date(2009, 1, 1), date(2009, 12, 31)),
    ]
    assert periods(date(2008, 1, 1), 12, date(2007, 12, 31)) == []


@given(start=days, months=st.integers(1, 36), until=days)
def test_periods_tile_the_calendar(start, months, until):
    found = periods(start, months, until)
    if until < start:
        assert found == []
        return
    assert found[0].start == start
    assert until in found[-1]
    for before, after in pairwise(found):
        assert after.start == before.end + timedelta(days=1)


# ---------------------------------------------------------------- recurring commitments


def test_it_reproduces_doc_example_yearly_meetings():
    """docs/network.md: «El Comité Directivo se reunirá al menos una vez al año», from 2008,
    with committee meetings on 2008-05-10 and 2010-03-02."""
    meetings = [date(2008, 5, 10), date(2010, 3, 2)]

    def state(as_of):
        return recurring_state(
            first_start=date(2008, 1, 1), months=12, events=meetings, as_of=as_of
        )

    assert state(date(2007, 12, 1)).state == S.OPEN  # not counted yet
    mid_2008 = state(date(2008, 6, 1))
    assert mid_2008.state == S.ON_TRACK
    assert [p.state for p in mid_2008.periods] == ["met"]
    mid_2009 = state(date(2009, 6, 1))
    assert mid_2009.state == S.ON_TRACK
    assert [p.state for p in mid_2009.periods] == ["met", "in_course"]
    in_2010 = state(date(2010, 1, 15))
    assert in_2010.state == S.MISSED
    assert in_2010.missed == [Period(date(2009, 1, 1), date(2009, 12, 31))]
    assert [p.events for p in state(date(2010, 12, 31)).periods] == [1, 0, 1]


def test_it_reproduces_doc_example_biennial_meetings():
    """«Reuniones bianuales extendidas» read as every two years from 2008: the period
    2008–2009 is met by an extended meeting in 2009; the run ends, met, on 2011-12-31."""
    result = recurring_state(
        first_start=date(2008, 1, 1),
        months=24,
        events=[date(2009, 10, 5), date(2011, 11, 1)],
        as_of=date(2012, 6, 1),
        ends_on=date(2011, 12, 31),
    )
    assert result.state == S.DONE
    assert [(p.period.start, p.period.end, p.state) for p in result.periods] == [
        (date(2008, 1, 1), date(2009, 12, 31), "met"),
        (date(2010, 1, 1), date(2011, 12, 31), "met"),
    ]


def test_meetings_after_the_day_are_not_known_yet():
    result = recurring_state(
        first_start=date(2008, 1, 1), months=12, events=[date(2008, 9, 1)], as_of=date(2008, 6, 1)
    )
    assert [p.state for p in result.periods] == ["in_course"]


@given(
    start=days,
    months=st.integers(1, 24),
    events=st.lists(days, max_size=8),
    as_of=days,
)
def test_a_recurring_commitment_is_missed_exactly_when_a_closed_period_had_no_meeting(
    start, months, events, as_of
):
    result = recurring_state(first_start=start, months=months, events=events, as_of=as_of)
    closed_empty = [
        p
        for p in periods(start, months, as_of)
        if p.end < as_of and not any(p.start <= e <= p.end and e <= as_of for e in events)
    ]
    assert (result.state == S.MISSED) == bool(closed_empty)
    assert result.missed == closed_empty


# ---------------------------------------------------------------- bodies operating


def test_one_meeting_makes_a_body_operate_for_twelve_months():
    assert operating_interval(date(2008, 3, 15)) == (date(2008, 3, 15), date(2009, 3, 14))
    assert active_on(date(2009, 3, 14), [date(2008, 3, 15)])
    assert not active_on(date(2009, 3, 15), [date(2008, 3, 15)])
    assert not active_on(date(2008, 3, 14), [date(2008, 3, 15)])


def test_it_reproduces_doc_example_regions_operating():
    """Two regions: RM meets on 2008-03-01 and 2008-09-01; BI on 2008-06-01 only."""
    spans = {
        "CL-RM": [operating_interval(date(2008, 3, 1)), operating_interval(date(2008, 9, 1))],
        "CL-BI": [operating_interval(date(2008, 6, 1))],
    }
    assert activity_changes(spans) == [
        (date(2008, 3, 1), 1),
        (date(2008, 6, 1), 2),
        (date(2009, 6, 1), 1),
        (date(2009, 9, 1), 0),
    ]


def test_clipping_keeps_operation_inside_the_active_dates():
    within = (date(2008, 1, 1), date(2008, 12, 31))
    assert clip([(date(2008, 6, 1), date(2009, 5, 31))], within) == [
        (date(2008, 6, 1), date(2008, 12, 31))
    ]
    assert clip([(date(2007, 1, 1), date(2007, 6, 1))], within) == []
    assert clip([(date(2008, 6, 1), None)], (date(2008, 1, 1), None)) == [(date(2008, 6, 1), None)]


@given(
    spans=st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.lists(st.tuples(days, st.integers(0, 800)), min_size=1, max_size=3),
        max_size=4,
    ),
    probe=days,
)
def test_the_count_of_active_subjects_matches_a_day_by_day_count(spans, probe):
    intervals = {
        key: [(start, start + timedelta(days=length)) for start, length in values]
        for key, values in spans.items()
    }
    changes = activity_changes(intervals)
    expected = sum(1 for values in intervals.values() if any(s <= probe <= e for s, e in values))
    before = [count for day, count in changes if day <= probe]
    assert (before[-1] if before else 0) == expected


def test_the_method_imports_no_django():
    import subprocess
    import sys

    code = "import sys, limpia.schedule; print(any(m.startswith('django') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
