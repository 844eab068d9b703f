"""Public pages of the network: the directory of bodies, a body (composition on a day and its
history, focal points, meetings, commitments), a meeting (agenda, participation, decisions with
the state of their commitments), the commitments board, a body's iCalendar feed and its
commitments as CSV or XLSX.

Thin views over `limpia.network.queries`: every list runs a fixed number of queries whatever
its size (tests pin them). A commitment's state on `as_of` comes from `commitments_board`
(computed in the database, or by `limpia.schedule` for commitments met by meetings).
Transcription notes (`note` fields) are shown to staff users only; source references are
shown to everyone.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from limpia.core.dates import parse_as_of
from limpia.core.errors import DomainError
from limpia.core.models import Country, Organization, Subregion
from limpia.exchange import lists
from limpia.network.models import (
    Body,
    BodyKind,
    Commitment,
    Decision,
    DecisionKind,
    FocalPoint,
    Meeting,
    MeetingStatus,
    ParticipantKind,
    Scope,
)
from limpia.network.queries import commitments_board, composition, meeting_detail
from limpia.schedule import CommitmentState
from limpia.web.paging import page_of, search_text

BODIES_PER_PAGE = 50
MEETINGS_PER_PAGE = 20
COMMITMENTS_PER_PAGE = 50
PERIODS_SHOWN = 8  # the latest periods of a recurring commitment shown on a board's row
EXPORT_FORMATS = ("csv", "xlsx")

STATE_LABELS = {
    CommitmentState.OPEN: gettext_lazy("Open"),
    CommitmentState.OVERDUE: gettext_lazy("Overdue"),
    CommitmentState.DONE: gettext_lazy("Done"),
    CommitmentState.DONE_LATE: gettext_lazy("Done late"),
    CommitmentState.CANCELLED: gettext_lazy("Cancelled"),
    CommitmentState.ON_TRACK: gettext_lazy("On track"),
    CommitmentState.MISSED: gettext_lazy("Missed"),
}
STATE_COLOURS = {
    CommitmentState.OPEN: "info",
    CommitmentState.OVERDUE: "danger",
    CommitmentState.DONE: "success",
    CommitmentState.DONE_LATE: "warning",
    CommitmentState.CANCELLED: "secondary",
    CommitmentState.ON_TRACK: "success",
    CommitmentState.MISSED: "danger",
}
PERIOD_LABELS = {
    "met": gettext_lazy("met"),
    "missed": gettext_lazy("missed"),
    "in_course": gettext_lazy("in course"),
}
PERIOD_COLOURS = {"met": "success", "missed": "danger", "in_course": "secondary"}


def _as_of(request) -> tuple[dt.date, str | None]:
    try:
        return parse_as_of(request.GET.get("as_of")), None
    except DomainError as exc:
        return parse_as_of(None), exc.message


def _choice(request, name: str, allowed) -> str:
    value = request.GET.get(name, "").strip()
    return value if value in allowed else ""


# ---------------------------------------------------------------- commitments


def _period_label(start: dt.date, end: dt.date) -> str:
    """A period as short as it can be said: "2008", "2008–2009", or its two dates."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    short = "SHORT_DATE_FORMAT"
    return f"{formats.date_format(start, short)}–{formats.date_format(end, short)}"


def _periods(computed) -> dict | None:
    """The periods of a recurring commitment met by meetings, for a compact display."""
    if computed is None or computed.recurring is None:
        return None
    periods = [
        {
            "label": _period_label(p.period.start, p.period.end),
            "state": p.state,
            "state_label": PERIOD_LABELS[p.state],
            "colour": PERIOD_COLOURS[p.state],
            "events": p.events,
        }
        for p in computed.recurring.periods
    ]
    return {
        "shown": periods[-PERIODS_SHOWN:],
        "hidden": max(0, len(periods) - PERIODS_SHOWN),
        "met": sum(1 for p in periods if p["state"] == "met"),
        "missed": sum(1 for p in periods if p["state"] == "missed"),
    }


def commitment_rows(commitments, states) -> list[dict]:
    """A board's rows: each commitment (annotated with `state` by `commitments_board`) with
    its label, colour, responsible and, for one met by meetings, its periods or the meeting
    that met it."""
    rows = []
    for c in commitments:
        computed = states.computed.get(c.pk)
        met_by = None
        if computed is not None and computed.recurring is None:
            met_by = next((m for m in computed.meetings if m.starts_on <= states.as_of), None)
        responsible = [o.acronym or o.name for o in c.responsible_organizations.all()]
        if c.responsible_body_id:
            responsible.insert(0, c.responsible_body.label)
        rows.append(
            {
                "commitment": c,
                "state": c.state,
                "state_label": STATE_LABELS.get(c.state, c.state),
                "colour": STATE_COLOURS.get(c.state, "secondary"),
                "late": bool(c.late),
                "responsible": responsible,
                "periods": _periods(computed),
                "met_by": met_by,
            }
        )
    return rows


def _state_badges(rows) -> list[dict]:
    """How many of the (annotated) commitments are in each state, counted in the database."""
    counts = dict(
        rows.prefetch_related(None)
        .order_by()
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return [
        {"key": str(s), "label": STATE_LABELS[s], "colour": STATE_COLOURS[s], "count": counts[s]}
        for s in CommitmentState
        if counts.get(s)
    ]


def _responsible_filter(key: str) -> Q:
    through = Commitment.responsible_organizations.through.objects
    return Q(pk__in=through.filter(organization__key=key).values("commitment_id")) | Q(
        responsible_body__organization__key=key
    )


@require_safe
def commitment_board(request):
    """Every commitment with its state on `as_of`, late first; filtered by body, responsible
    organization, state and late only."""
    as_of, error = _as_of(request)
    base = Commitment.objects.all()
    body_key = request.GET.get("body", "").strip()[:80]
    if body_key:
        base = base.filter(body__key=body_key)
    responsible = request.GET.get("responsible", "").strip()[:80]
    if responsible:
        base = base.filter(_responsible_filter(responsible))
    rows, states = commitments_board(as_of, base)
    badges = _state_badges(rows)
    state = _choice(request, "state", [str(s) for s in CommitmentState])
    if state:
        rows = rows.filter(state=state)
    late_only = request.GET.get("late") == "1"
    if late_only:
        rows = rows.filter(late=1)
    listing = page_of(request, rows, COMMITMENTS_PER_PAGE)
    through = Commitment.responsible_organizations.through.objects
    organizations = Organization.objects.filter(
        Q(pk__in=through.values("organization_id"))
        | Q(
            pk__in=Body.objects.filter(commitments_responsible__isnull=False).values("organization")
        )
    ).order_by("name")
    return render(
        request,
        "web/network/commitments.html",
        {
            "rows": commitment_rows(listing.rows, states),
            "listing": listing,
            "badges": badges,
            "as_of": as_of,
            "as_of_error": error,
            "bodies": Body.objects.filter(pk__in=Commitment.objects.values("body_id"))
            .only("key", "name", "acronym")
            .order_by("name"),
            "organizations": organizations.only("key", "name", "acronym"),
            "states": [(str(s), STATE_LABELS[s]) for s in CommitmentState],
            "chosen": {
                "body": body_key,
                "responsible": responsible,
                "state": state,
                "late": late_only,
            },
        },
    )


# ---------------------------------------------------------------- directory


def _countries_with_bodies() -> list[Country]:
    countries = Country.objects.filter(
        code__in=Body.objects.exclude(country=None).values("country_id")
    )
    return sorted(countries, key=lambda c: c.localized_name())


@require_safe
def directory(request):
    """The bodies, a page at a time, filtered by kind, scope, country and subregion and
    searched by name, acronym or key."""
    bodies = Body.objects.for_listing().order_by("name", "id")
    kind = _choice(request, "kind", BodyKind.values)
    scope = _choice(request, "scope", Scope.values)
    country = request.GET.get("country", "").strip().upper()[:2]
    subregion = request.GET.get("subregion", "").strip()[:40]
    if kind:
        bodies = bodies.filter(kind=kind)
    if scope:
        bodies = bodies.filter(scope=scope)
    if country:
        bodies = bodies.filter(country_id=country)
    if subregion:
        bodies = bodies.filter(
            Q(subregion__key=subregion)
            | Q(country__in=Country.objects.filter(subregions__key=subregion))
        )
    search = search_text(request)
    if search:
        bodies = bodies.filter(
            Q(name__icontains=search) | Q(acronym__icontains=search) | Q(key__icontains=search)
        )
    listing = page_of(request, bodies, BODIES_PER_PAGE, search=search)
    return render(
        request,
        "web/network/directory.html",
        {
            "listing": listing,
            "kinds": BodyKind.choices,
            "scopes": Scope.choices,
            "countries": _countries_with_bodies(),
            "subregions": sorted(Subregion.objects.all(), key=lambda s: s.localized_name()),
            "chosen": {
                "kind": kind,
                "scope": scope,
                "country": country,
                "subregion": subregion,
            },
            "filtered": bool(kind or scope or country or subregion or search),
        },
    )


# ---------------------------------------------------------------- a body


@require_safe
def body_detail(request, key):
    """A body: what it is, who sits in it on `as_of` and before, its focal points, meetings
    and commitments with their state on `as_of`."""
    body = get_object_or_404(
        Body.objects.for_listing().select_related("host__country", "parent__parent"), key=key
    )
    as_of, error = _as_of(request)
    current, others = composition(body, as_of)
    history = [m for m in others if m.term_to is not None and m.term_to < as_of]
    later = [m for m in others if not (m.term_to is not None and m.term_to < as_of)]
    meetings = Meeting.objects.filter(body=body).select_related("country")
    meetings = page_of(
        request, meetings.order_by("-starts_on", "-id"), MEETINGS_PER_PAGE, prefix="m"
    )
    board, states = commitments_board(as_of, Commitment.objects.filter(body=body))
    commitments = page_of(request, board, COMMITMENTS_PER_PAGE, prefix="c")
    return render(
        request,
        "web/network/body.html",
        {
            "body": body,
            "as_of": as_of,
            "as_of_error": error,
            "children": Body.objects.filter(parent=body)
            .select_related("country", "subregion", "subdivision")
            .order_by("name", "id"),
            "current": current,
            "history": history,
            "later": later,
            "focal_points": FocalPoint.objects.filter(body=body)
            .select_related("country", "organization")
            .order_by("country_id"),
            "meetings": meetings,
            "commitments": commitments,
            "commitment_rows": commitment_rows(commitments.rows, states),
            "show_notes": request.user.is_staff,
            "today": timezone.localdate(),
        },
    )


# ---------------------------------------------------------------- a meeting


def _kind_order(kind: str) -> int:
    values = list(ParticipantKind.values)
    return values.index(kind) if kind in values else len(values)


@require_safe
def meeting_page(request, pk):
    """A meeting: dates, place, agenda, participation, decisions verbatim with the state of
    their commitments on `as_of`, its published documents and who was elected at it."""
    try:
        meeting = meeting_detail(pk)
    except Meeting.DoesNotExist:
        raise Http404 from None
    as_of, error = _as_of(request)
    participation = list(meeting.participation.all())
    counts = sorted(
        (p for p in participation if p.organization_id is None), key=lambda p: _kind_order(p.kind)
    )
    organizations = sorted(
        (p for p in participation if p.organization_id is not None),
        key=lambda p: (_kind_order(p.kind), p.organization.name.casefold()),
    )
    decisions = list(
        Decision.objects.filter(meeting=meeting)
        .select_related("addressed_to")
        .order_by("position", "id")
    )
    board, states = commitments_board(as_of, Commitment.objects.filter(decision__meeting=meeting))
    by_decision: dict[int, list[dict]] = {}
    for row in commitment_rows(board, states):
        by_decision.setdefault(row["commitment"].decision_id, []).append(row)
    entries = [{"decision": d, "commitments": by_decision.get(d.pk, [])} for d in decisions]
    elections = list(meeting.elections.all())
    elected_to = Body.objects.in_bulk({m.body_id for m in elections}) if elections else {}
    return render(
        request,
        "web/network/meeting.html",
        {
            "meeting": meeting,
            "as_of": as_of,
            "as_of_error": error,
            "agenda": list(meeting.agenda.all()),
            "counts": counts,
            "counted": sum(p.count for p in counts),
            "organizations": organizations,
            "decisions": [e for e in entries if e["decision"].kind != DecisionKind.RECOMMENDATION],
            "recommendations": [
                e for e in entries if e["decision"].kind == DecisionKind.RECOMMENDATION
            ],
            "documents": [d for d in meeting.documents.all() if d.is_published],
            "elections": [(m, elected_to.get(m.body_id)) for m in elections],
            "show_notes": request.user.is_staff,
        },
    )


# ---------------------------------------------------------------- iCalendar


def ical_text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 (3.3.11) says."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def ical_fold(line: str, limit: int = 75) -> str:
    """A content line folded at `limit` octets (RFC 5545, 3.1), never inside a character."""
    parts, current, size = [], [], 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n".join(parts)


def _ical_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _location(meeting: Meeting) -> str:
    if meeting.place:
        return meeting.place
    if meeting.country_id:
        return meeting.country.localized_name()
    return _("Virtual") if meeting.is_virtual else ""


def calendar_lines(request, body: Body, meetings) -> list[str]:
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Limpia//Network//ES",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_text(body.label)}",
    ]
    for meeting in meetings:
        url = request.build_absolute_uri(reverse("network:meeting", args=[meeting.pk]))
        description = f"{meeting.body.name} — {meeting.get_kind_display()}"
        if meeting.is_virtual:
            description += f" ({_('virtual')})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.pk}@limpia",
            f"DTSTAMP:{stamp}",
            f"SEQUENCE:{meeting.version}",
            f"DTSTART;VALUE=DATE:{_ical_date(meeting.starts_on)}",
            f"DTEND;VALUE=DATE:{_ical_date(meeting.ends_on + dt.timedelta(days=1))}",
            f"SUMMARY:{ical_text(meeting.name)}",
        ]
        location = _location(meeting)
        if location:
            lines.append(f"LOCATION:{ical_text(location)}")
        lines += [
            f"DESCRIPTION:{ical_text(description)}",
            f"URL:{url}",
            "STATUS:CONFIRMED",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return lines


@require_safe
def calendar_feed(request, key):
    """The upcoming scheduled meetings of a body and of its child bodies, as iCalendar."""
    body = get_object_or_404(Body, key=key)
    meetings = (
        Meeting.objects.filter(
            Q(body=body) | Q(body__parent=body),
            status=MeetingStatus.SCHEDULED,
            ends_on__gte=timezone.localdate(),
        )
        .select_related("body", "country")
        .order_by("starts_on", "id")
    )
    content = "".join(f"{ical_fold(line)}\r\n" for line in calendar_lines(request, body, meetings))
    response = HttpResponse(content.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(False, f"{body.key}.ics")
    return response


# ---------------------------------------------------------------- exports

EXPORT_COLUMNS = [
    "commitment",
    "body",
    "state",
    "as_of",
    "rule",
    "due_on",
    "recurrence",
    "every_months",
    "periods",
    "responsible",
    "serves",
    "decision",
    "meeting",
    "meeting_date",
    "source_ref",
]


def commitment_table(rows, states) -> tuple[list, list]:
    """(header, rows) for the commitments of a board (annotated by `commitments_board`)."""
    table = []
    for row in commitment_rows(rows, states):
        c = row["commitment"]
        periods = row["periods"]
        computed = states.computed.get(c.pk)
        period_text = ""
        if periods is not None and computed is not None:
            period_text = "; ".join(
                f"{_period_label(p.period.start, p.period.end)}: {p.state}"
                for p in computed.recurring.periods
            )
        meeting = c.decision.meeting if c.decision_id else None
        table.append(
            [
                c.title,
                c.body.name,
                row["state"],
                states.as_of,
                c.rule,
                c.due_on,
                c.recurrence_text,
                c.every_months,
                period_text,
                "; ".join(row["responsible"]),
                "; ".join(
                    [f"{n.plan.slug}: {n.code}" for n in c.nodes.all()]
                    + [f"{i.plan.slug}: {i.code}" for i in c.indicators.all()]
                ),
                c.decision.number if c.decision_id else "",
                meeting.name if meeting else "",
                meeting.starts_on if meeting else None,
                c.source_ref,
            ]
        )
    return EXPORT_COLUMNS, table


@require_safe
def commitments_export(request, key, fmt):
    """A body's commitments with their state on `as_of`, as CSV or XLSX."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    body = get_object_or_404(Body, key=key)
    as_of, _error = _as_of(request)
    rows, states = commitments_board(as_of, Commitment.objects.filter(body=body))
    content, content_type = lists.render("commitments", *commitment_table(rows, states), fmt)
    response = HttpResponse(content, content_type=content_type)
    filename = f"{body.key}-commitments-{as_of.isoformat()}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
