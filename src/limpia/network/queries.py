"""Reads of the network: current composition, commitments with their state on a day, upcoming
meetings. A fixed number of queries whatever the number of rows (tests pin them).

A commitment's state on `as_of` (limpia.schedule.CommitmentState) is computed in the database
for reported commitments (a CASE over status, done_on and due_on), and by the pure schedule
module for commitments met by meetings, which are few: one query reads them, one reads the held
meetings of the bodies they track; their states enter the SQL as lists of ids, so a board can
be filtered, ordered (late first) and paginated by state in the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, CharField, F, IntegerField, Prefetch, Q, Value, When

from limpia.network.models import (
    Commitment,
    CommitmentStatus,
    Meeting,
    MeetingStatus,
    Membership,
    Rule,
)
from limpia.plans.models import Indicator, Node
from limpia.schedule import CommitmentState, RecurringState, one_off_state, recurring_state
from limpia.schedule.method import LATE

S = CommitmentState
ACTIVE = (CommitmentStatus.OPEN, CommitmentStatus.IN_PROGRESS)


@dataclass(frozen=True)
class MeetingCommitment:
    """The computed state of a commitment met by meetings, with the evidence."""

    state: CommitmentState
    recurring: RecurringState | None  # its periods, for a recurring one
    meetings: tuple[Meeting, ...]  # the meetings that count


def _counted_meetings(commitments) -> dict[int, list[Meeting]]:
    """The held meetings of the tracked bodies, by body, oldest first (one query)."""
    bodies = {c.tracked_body_id for c in commitments}
    meetings = defaultdict(list)
    if bodies:
        rows = (
            Meeting.objects.held()
            .filter(body_id__in=bodies)
            .only("id", "body_id", "kind", "starts_on", "name", "number")
            .order_by("starts_on", "id")
        )
        for meeting in rows:
            meetings[meeting.body_id].append(meeting)
    return meetings


def meeting_commitment_states(commitments, as_of: dt.date) -> dict[int, MeetingCommitment]:
    """The states of commitments met by meetings (rule "meetings"), by commitment id."""
    commitments = [c for c in commitments if c.rule == Rule.MEETINGS]
    by_body = _counted_meetings(commitments)
    states = {}
    for c in commitments:
        kinds = set(c.meeting_kinds or [])
        counted = tuple(
            m
            for m in by_body.get(c.tracked_body_id, [])
            if (not kinds or m.kind in kinds) and m.starts_on >= c.starts_on
        )
        cancelled = c.status == CommitmentStatus.CANCELLED
        if c.every_months:
            recurring = recurring_state(
                first_start=c.starts_on,
                months=c.every_months,
                events=[m.starts_on for m in counted],
                as_of=as_of,
                ends_on=c.ends_on,
                cancelled=cancelled,
            )
            states[c.pk] = MeetingCommitment(recurring.state, recurring, counted)
        else:
            first = next((m.starts_on for m in counted if m.starts_on <= as_of), None)
            state = one_off_state(due_on=c.due_on, done_on=first, as_of=as_of, cancelled=cancelled)
            states[c.pk] = MeetingCommitment(state, None, counted)
    return states


def reported_state(as_of: dt.date):
    """A commitment's state on `as_of` as SQL, for reported commitments."""
    done = Q(status=CommitmentStatus.DONE, done_on__lte=as_of)
    return Case(
        When(status=CommitmentStatus.CANCELLED, then=Value(S.CANCELLED)),
        When(done & Q(due_on__isnull=False, done_on__gt=F("due_on")), then=Value(S.DONE_LATE)),
        When(done, then=Value(S.DONE)),
        When(due_on__lt=as_of, then=Value(S.OVERDUE)),
        default=Value(S.OPEN),
        output_field=CharField(),
    )


class CommitmentStates:
    """The states of every commitment on a day, for filtering and ordering in SQL."""

    def __init__(self, as_of: dt.date, queryset=None):
        self.as_of = as_of
        base = queryset if queryset is not None else Commitment.objects.all()
        meeting_rule = list(
            base.filter(rule=Rule.MEETINGS).only(
                "id",
                "rule",
                "status",
                "starts_on",
                "due_on",
                "every_months",
                "ends_on",
                "tracked_body_id",
                "meeting_kinds",
            )
        )
        self.computed = meeting_commitment_states(meeting_rule, as_of)

    def expression(self):
        by_state = defaultdict(list)
        for pk, computed in self.computed.items():
            by_state[computed.state].append(pk)
        whens = [When(pk__in=ids, then=Value(str(state))) for state, ids in by_state.items()]
        if not whens:
            return reported_state(self.as_of)
        return Case(*whens, default=reported_state(self.as_of), output_field=CharField())

    def annotate(self, queryset):
        """`queryset` with `state` and `late` (1 when overdue or missed) annotated."""
        queryset = queryset.annotate(state=self.expression())
        return queryset.annotate(
            late=Case(
                When(state__in=[str(s) for s in LATE], then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )


def commitments_board(as_of: dt.date, queryset=None):
    """Commitments with their state on `as_of`, late first, then by due date."""
    base = queryset if queryset is not None else Commitment.objects.all()
    states = CommitmentStates(as_of, base)
    rows = states.annotate(base).select_related(
        "body", "decision__meeting", "responsible_body", "tracked_body"
    )
    rows = rows.prefetch_related(
        "responsible_organizations",
        Prefetch("nodes", queryset=Node.objects.select_related("plan")),
        Prefetch("indicators", queryset=Indicator.objects.select_related("plan")),
    )
    return rows.order_by("-late", F("due_on").asc(nulls_last=True), "body__name", "id"), states


def composition(body, on: dt.date):
    """The memberships of `body` current on `on`, and all of its earlier ones (history)."""
    memberships = list(
        Membership.objects.filter(body=body)
        .select_related("organization", "organization__country", "subregion", "elected_at")
        .order_by("seat", "role", "organization__name")
    )
    current = [m for m in memberships if m.current_on(on)]
    past = sorted(
        (m for m in memberships if not m.current_on(on)),
        key=lambda m: (m.term_to or dt.date.max, m.seat),
        reverse=True,
    )
    return current, past


def upcoming_meetings(body, today: dt.date):
    return (
        Meeting.objects.filter(body=body, status=MeetingStatus.SCHEDULED, ends_on__gte=today)
        .select_related("country")
        .order_by("starts_on", "id")
    )


def meeting_detail(meeting_id: int):
    """A meeting with what its page shows, in a fixed number of queries."""
    return (
        Meeting.objects.select_related("body", "country")
        .prefetch_related(
            "agenda",
            Prefetch("participation", queryset=_participation()),
            "documents",
            "elections__organization",
        )
        .get(pk=meeting_id)
    )


def _participation():
    from limpia.network.models import Participation

    return Participation.objects.select_related("organization", "organization__country")
