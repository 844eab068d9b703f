"""Commitments and bodies over time, from dates alone.

- A one-off commitment (``one_off_state``) is *open* until it is done; past its due date and
  not done it is *overdue*; done after its due date it is *done late*. Whether it was done is
  read on the `as_of` day: something done on a later day is not done yet.
- A recurring commitment (``recurring_state``: "el Comité Directivo se reunirá al menos una vez
  al año") is a run of consecutive periods from its first period's start; each period is *met*
  when at least one of the counted events (meetings) falls in it, *missed* when it closed with
  none, *in course* while it runs. The commitment is *on track* while no closed period was
  missed, *missed* once one was, and *done* when its last period closed with all met.
- A body *operates* (``active_on``) on a day when one of its meetings took place in the twelve
  months up to that day; ``activity_changes`` counts, at each date where the count changes,
  how many subjects (regions, bodies) are active given their intervals.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

DAY = dt.timedelta(days=1)
OPERATING_MONTHS = 12  # "operando regularmente": a meeting in the last twelve months


class CommitmentState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_LATE = "done_late"
    CANCELLED = "cancelled"
    ON_TRACK = "on_track"
    MISSED = "missed"


LATE = frozenset({CommitmentState.OVERDUE, CommitmentState.MISSED})


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by `months` calendar months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def one_off_state(
    *,
    due_on: dt.date | None,
    done_on: dt.date | None,
    as_of: dt.date,
    cancelled: bool = False,
) -> CommitmentState:
    """The state on `as_of` of a commitment due on `due_on` (None: the text gives no date) and
    done on `done_on` (None: not done)."""
    if cancelled:
        return CommitmentState.CANCELLED
    if done_on is not None and done_on <= as_of:
        if due_on is not None and done_on > due_on:
            return CommitmentState.DONE_LATE
        return CommitmentState.DONE
    if due_on is not None and as_of > due_on:
        return CommitmentState.OVERDUE
    return CommitmentState.OPEN


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def periods(first_start: dt.date, months: int, until: dt.date) -> list[Period]:
    """Consecutive periods of `months` months from `first_start`, up to the one that contains
    `until` (none when `until` is before `first_start`)."""
    if months < 1:
        raise ValueError("a period lasts at least one month")
    result, start, n = [], first_start, 0
    while start <= until:
        n += 1
        following = add_months(first_start, months * n)
        result.append(Period(start, following - DAY))
        start = following
    return result


@dataclass(frozen=True)
class PeriodResult:
    period: Period
    events: int
    state: str  # "met", "missed" or "in_course"


@dataclass(frozen=True)
class RecurringState:
    state: CommitmentState
    periods: tuple[PeriodResult, ...]

    @property
    def missed(self) -> list[Period]:
        return [p.period for p in self.periods if p.state == "missed"]


def recurring_state(
    *,
    first_start: dt.date,
    months: int,
    events: Iterable[dt.date],
    as_of: dt.date,
    ends_on: dt.date | None = None,
    cancelled: bool = False,
) -> RecurringState:
    """The state on `as_of` of "at least one event every `months` months from `first_start`"
    (until `ends_on`, if it ends), from the dates of the events; events after `as_of` are not
    known yet."""
    last_day = as_of if ends_on is None else min(as_of, ends_on)
    known = sorted(day for day in events if day <= as_of)
    results = []
    for period in periods(first_start, months, last_day):
        if ends_on is not None and period.end > ends_on:
            period = Period(period.start, ends_on)
        count = sum(1 for day in known if day in period)
        if count:
            state = "met"
        elif period.end < as_of:
            state = "missed"
        else:
            state = "in_course"
        results.append(PeriodResult(period, count, state))
    if cancelled:
        overall = CommitmentState.CANCELLED
    elif any(r.state == "missed" for r in results):
        overall = CommitmentState.MISSED
    elif ends_on is not None and as_of > ends_on:
        overall = CommitmentState.DONE
    elif not results:
        overall = CommitmentState.OPEN
    else:
        overall = CommitmentState.ON_TRACK
    return RecurringState(overall, tuple(results))


def operating_interval(meeting_on: dt.date) -> tuple[dt.date, dt.date]:
    """The days on which one meeting makes its body count as operating: from the meeting to the
    day before the same date twelve months later."""
    return meeting_on, add_months(meeting_on, OPERATING_MONTHS) - DAY


def active_on(day: dt.date, meetings: Iterable[dt.date]) -> bool:
    """Whether a body operates on `day`: one of its meetings took place in the twelve months up
    to that day."""
    return any(start <= day <= end for start, end in map(operating_interval, meetings))


def clip(
    intervals: Iterable[tuple[dt.date, dt.date | None]],
    within: tuple[dt.date, dt.date | None],
) -> list[tuple[dt.date, dt.date | None]]:
    """The parts of `intervals` inside `within` (an end of None: open-ended)."""
    lo, hi = within
    result = []
    for start, end in intervals:
        start = max(start, lo)
        if hi is not None:
            end = hi if end is None else min(end, hi)
        if end is None or start <= end:
            result.append((start, end))
    return result


def activity_changes(
    intervals: Mapping[object, Iterable[tuple[dt.date, dt.date | None]]],
) -> list[tuple[dt.date, int]]:
    """How many subjects are active, at every date where that number changes: a subject is
    active on a day inside any of its intervals (start and end inclusive, end None: still
    active)."""
    spans = {key: list(values) for key, values in intervals.items()}
    days = sorted(
        {start for values in spans.values() for start, _ in values}
        | {end + DAY for values in spans.values() for _, end in values if end is not None}
    )
    changes, previous = [], None
    for day in days:
        count = sum(
            1
            for values in spans.values()
            if any(start <= day and (end is None or day <= end) for start, end in values)
        )
        if count != previous:
            changes.append((day, count))
            previous = count
    return changes
