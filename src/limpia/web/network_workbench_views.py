"""The network's back office: a body's secretariat records its meetings, decisions,
commitments, memberships and focal points and reviews the progress updates; the responsible
organizations write those updates.

Thin views, as the agreements back office: objects the user may not see are 404, acts the
user's role does not allow are 403 (limpia.access.rules decides), and every change goes through
`limpia.network.services`; their refusals are shown on the field they name, with the form kept
(the services are atomic: nothing is written). Every list runs a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from limpia.access.rules import (
    body_ids_as_secretariat,
    organization_ids_as_member,
    updates_visible_to,
)
from limpia.core.errors import Conflict, DomainError, IllegalTransition
from limpia.core.models import Organization
from limpia.network import queries, services
from limpia.network.models import (
    AgendaItem,
    Body,
    Commitment,
    CommitmentUpdate,
    Decision,
    FocalPoint,
    Meeting,
    Membership,
    Participation,
    Rule,
    UpdateStatus,
)
from limpia.web import network_forms as nf
from limpia.web.paging import page_of

PER_PAGE = 25  # rows of each list

STATE_LABELS = {  # limpia.schedule.CommitmentState
    "open": gettext_lazy("open"),
    "overdue": gettext_lazy("overdue"),
    "done": gettext_lazy("done"),
    "done_late": gettext_lazy("done late"),
    "cancelled": gettext_lazy("cancelled"),
    "on_track": gettext_lazy("on track"),
    "missed": gettext_lazy("missed"),
}
STATE_COLOURS = {
    "open": "secondary",
    "overdue": "danger",
    "done": "success",
    "done_late": "warning",
    "cancelled": "light",
    "on_track": "success",
    "missed": "danger",
}

# ---------------------------------------------------------------- helpers


def _is_admin(user) -> bool:
    return user.is_active and user.is_superuser


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied


def _show_error(form, exc: DomainError, fields: dict[str, str | None] | None = None) -> None:
    """Put a service's refusal on the field it names (on the form when the field is not shown:
    a hidden version, a status, the commitment itself)."""
    field = (fields or {}).get(exc.field, exc.field)
    shown = field in form.fields and not form.fields[field].widget.is_hidden
    form.add_error(field if shown else None, exc.message)


def _refused_status(exc: DomainError) -> int:
    """A change that lost a race or no longer applies is a conflict; other refusals are the
    form shown again."""
    return 409 if isinstance(exc, (Conflict, IllegalTransition)) else 200


def _work_url(body: Body) -> str:
    return reverse("network_work:body", args=[body.key])


def _public_url(name: str, arg, body: Body) -> str:
    """The public page of an object (app "network"), or the body's work page while there is
    none."""
    try:
        return reverse(name, args=[arg])
    except NoReverseMatch:
        return _work_url(body)


def _public_body_url(body: Body) -> str | None:
    try:
        return reverse("network:body", args=[body.key])
    except NoReverseMatch:
        return None


def _next_url(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _body(request, key) -> Body:
    """A body the user runs (bodies are public: one they do not run is 403)."""
    body = get_object_or_404(Body.objects.for_listing(), key=key)
    _require(request.user, "network.change_body", body)
    return body


def _lineage(body: Body) -> list[Body]:
    """The body and the bodies it belongs to, nearest first."""
    chain, seen = [], set()
    while body is not None and body.pk not in seen:
        chain.append(body)
        seen.add(body.pk)
        body = body.parent
    return chain


def bodies_run_ids(user) -> set[int] | None:
    """The bodies the user runs as secretariat, with the bodies under them (None: every body,
    for an administrator). One query reads the tree."""
    if _is_admin(user):
        return None
    mine = body_ids_as_secretariat(user)
    if not mine:
        return set()
    children = defaultdict(list)
    for pk, parent in Body.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    ids, todo = set(), list(mine)
    while todo:
        pk = todo.pop()
        if pk not in ids:
            ids.add(pk)
            todo.extend(children[pk])
    return ids


def _labelled(listing):
    """The rows of a page of commitments, each with its state's label and colour."""
    rows = list(listing.page.object_list)
    for row in rows:
        row.state_label = STATE_LABELS.get(row.state, row.state)
        row.state_colour = STATE_COLOURS.get(row.state, "secondary")
    listing.page.object_list = rows
    return listing


def _count(queryset, field: str):
    """A subquery counting the rows of `queryset` per outer row (`field` = the outer pk)."""
    counted = queryset.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _waiting_updates():
    return CommitmentUpdate.objects.filter(status=UpdateStatus.SUBMITTED)


def _render_form(request, form, *, title, submit, body=None, template=None, status=200, **extra):
    return render(
        request,
        template or "web/workbench/network/form.html",
        {"form": form, "title": title, "submit": submit, "body": body, **extra},
        status=status,
    )


# ---------------------------------------------------------------- home


@login_required
def home(request):
    """The user's network work: the bodies they run as secretariat, with how many of their
    commitments are late and how many updates wait for review, and the commitments their
    organizations are responsible for, late first. A user with neither has nothing to do here."""
    user = request.user
    today = timezone.localdate()
    run = bodies_run_ids(user)
    organizations = organization_ids_as_member(user)
    if not (run is None or run or organizations):
        raise PermissionDenied
    context = {"today": today}
    if run is None or run:
        bodies = Body.objects.all() if run is None else Body.objects.filter(pk__in=run)
        commitments = Commitment.objects.all()
        if run is not None:
            commitments = commitments.filter(body_id__in=run)
        states = queries.CommitmentStates(today, commitments)
        late = states.annotate(Commitment.objects.filter(body_id=OuterRef("pk"))).filter(late=1)
        waiting = _waiting_updates().filter(commitment__body_id=OuterRef("pk"))
        bodies = (
            bodies.select_related("parent")
            .annotate(
                late_count=_count(late, "body_id"),
                waiting_count=_count(waiting, "commitment__body_id"),
            )
            .order_by("name", "pk")
        )
        context["bodies"] = page_of(request, bodies, PER_PAGE, prefix="b")
    if organizations:
        responsible = Commitment.objects.filter(responsible_organizations__in=organizations).values(
            "pk"
        )
        seated = (
            Membership.objects.filter(organization_id__in=organizations)
            .filter(Q(term_to__isnull=True) | Q(term_to__gte=today))
            .values("body_id")
        )
        mine = Commitment.objects.filter(Q(pk__in=responsible) | Q(responsible_body_id__in=seated))
        board, _states = queries.commitments_board(today, mine)
        last = CommitmentUpdate.objects.filter(commitment=OuterRef("pk")).order_by("-date", "-pk")
        board = board.annotate(last_update=Subquery(last.values("status")[:1]))
        listing = _labelled(page_of(request, board, PER_PAGE, prefix="c"))
        for row in listing.rows:
            row.last_update_label = UpdateStatus(row.last_update).label if row.last_update else ""
        context["commitments"] = listing
    return render(request, "web/workbench/network/home.html", context)


# ---------------------------------------------------------------- a body


@login_required
def body(request, key):
    """The secretariat's view of a body: its meetings (with their decisions), its commitments
    with their state, its members and focal points, and the updates waiting for review."""
    body = _body(request, key)
    user = request.user
    today = timezone.localdate()
    meetings = (
        Meeting.objects.filter(body=body)
        .select_related("country")
        .prefetch_related("decisions")
        .annotate(agenda_count=_count(_agenda_of_outer(), "meeting_id"))
        .order_by("-starts_on", "-pk")
    )
    board, _states = queries.commitments_board(today, Commitment.objects.filter(body=body))
    board = board.annotate(
        waiting=_count(_waiting_updates().filter(commitment_id=OuterRef("pk")), "commitment_id")
    )
    updates = page_of(
        request,
        _waiting_updates()
        .filter(commitment__body=body)
        .select_related("commitment", "organization", "submitted_by", "created_by")
        .order_by("date", "pk"),
        PER_PAGE,
        prefix="u",
    )
    rows = list(updates.page.object_list)
    for update in rows:
        update.commitment.body = body  # its lineage is read once
        update.can_review = user.has_perm("network.review_commitmentupdate", update)
    updates.page.object_list = rows
    current, past = queries.composition(body, today)
    return render(
        request,
        "web/workbench/network/body.html",
        {
            "body": body,
            "today": today,
            "public_url": _public_body_url(body),
            "children": body.children.order_by("name"),
            "meetings": page_of(request, meetings, PER_PAGE, prefix="m"),
            "commitments": _labelled(page_of(request, board, PER_PAGE, prefix="c")),
            "updates": updates,
            "current": current,
            "past": past,
            "focal_points": FocalPoint.objects.filter(body=body).select_related(
                "country", "organization"
            ),
            "return_form": nf.ReturnForm(),
        },
    )


def _agenda_of_outer():
    return AgendaItem.objects.filter(meeting_id=OuterRef("pk"))


# ---------------------------------------------------------------- meetings


MEETING_FIELDS = (
    "name",
    "number",
    "kind",
    "status",
    "starts_on",
    "place",
    "country",
    "is_virtual",
    "total_participants",
    "source_ref",
    "note",
)


def _meeting_from(form, meeting: Meeting) -> Meeting:
    data = form.cleaned_data
    for name in MEETING_FIELDS:
        setattr(meeting, name, data[name])
    meeting.ends_on = data["ends_on"] or data["starts_on"]
    return meeting


def _agenda(form, meeting: Meeting | None) -> list[dict]:
    """The agenda typed, keeping the source reference of the lines left as they were."""
    known = {}
    if meeting is not None:
        known = {(a.day, a.time, a.title): a.source_ref for a in meeting.agenda.all()}
    return [
        {**item, "source_ref": known.get((item["day"], item["time"], item["title"]), "")}
        for item in form.cleaned_data["agenda"]
    ]


def _participation(form, meeting: Meeting | None) -> list[dict]:
    """The counts typed by kind; a count left as it was keeps its text and source, and the
    rows that name one organization (loaded from the sources) are kept."""
    existing = list(meeting.participation.all()) if meeting is not None else []
    by_kind = {p.kind: p for p in existing if p.organization_id is None}
    rows = []
    for kind, count in form.counts().items():
        old = by_kind.get(kind)
        same = old is not None and old.count == count
        rows.append(
            {
                "kind": kind,
                "count": count,
                "text": old.text if same else "",
                "source_ref": old.source_ref if same else "",
            }
        )
    rows += [
        {
            "kind": p.kind,
            "organization": p.organization,
            "count": p.count,
            "text": p.text,
            "source_ref": p.source_ref,
        }
        for p in existing
        if p.organization_id is not None
    ]
    return rows


def _meeting_page(request, form, body, *, title, submit, meeting=None, status=200):
    return _render_form(
        request,
        form,
        title=title,
        submit=submit,
        body=body,
        template="web/workbench/network/meeting_form.html",
        status=status,
        meeting=meeting,
        kept=[p for p in meeting.participation.all() if p.organization_id] if meeting else [],
    )


@login_required
def meeting_new(request, key):
    body = _body(request, key)
    form = nf.MeetingForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        meeting = _meeting_from(form, Meeting(body=body))
        try:
            services.meeting_save(
                acting_user=request.user,
                meeting=meeting,
                agenda=_agenda(form, None),
                participation=_participation(form, None),
                documents=list(form.cleaned_data["documents"]),
            )
        except DomainError as exc:
            _show_error(form, exc)
            status = _refused_status(exc)
        else:
            messages.success(request, _("The meeting was recorded."))
            return redirect(_public_url("network:meeting", meeting.pk, body))
    return _meeting_page(
        request, form, body, title=_("Record a meeting"), submit=_("Record"), status=status
    )


def _meeting(request, pk) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.select_related("body__parent", "country").prefetch_related(
            "agenda",
            Prefetch(
                "participation", queryset=Participation.objects.select_related("organization")
            ),
            "documents",
        ),
        pk=pk,
    )
    _require(request.user, "network.change_body", meeting.body)
    return meeting


@login_required
def meeting_edit(request, pk):
    meeting = _meeting(request, pk)
    body = meeting.body
    form = nf.MeetingForm(request.POST or None, initial=nf.MeetingForm.initial_for(meeting))
    status = 200
    if request.method == "POST" and form.is_valid():
        agenda = _agenda(form, meeting) if "agenda" in form.changed_data else None
        participation = _participation(form, meeting) if form.counts_changed() else None
        _meeting_from(form, meeting)
        try:
            services.meeting_save(
                acting_user=request.user,
                meeting=meeting,
                agenda=agenda,
                participation=participation,
                documents=(
                    list(form.cleaned_data["documents"])
                    if "documents" in form.changed_data
                    else None
                ),
                version=form.cleaned_data["version"],
                reason="edited",
            )
        except DomainError as exc:
            _show_error(form, exc)
            status = _refused_status(exc)
        else:
            messages.success(request, _("The meeting was saved."))
            return redirect(_public_url("network:meeting", meeting.pk, body))
    return _meeting_page(
        request,
        form,
        body,
        title=_("Edit the meeting"),
        submit=_("Save"),
        meeting=meeting,
        status=status,
    )


# ---------------------------------------------------------------- bodies


def _save_body(request, form, body: Body, *, version=None, reason: str):
    """Fill the body from the form and save it; the refusal, if any, on the form."""
    data = form.cleaned_data
    for name in nf.BodyForm.MODEL_FIELDS:
        setattr(body, name, data[name])
    body.subdivision = data["subdivision"]
    try:
        services.body_save(acting_user=request.user, body=body, version=version, reason=reason)
    except DomainError as exc:
        _show_error(form, exc)
        return _refused_status(exc)
    return None


@login_required
def body_new(request, key):
    """Found a body under one the user runs (a working group, a regional committee...)."""
    parent = _body(request, key)
    _require(request.user, "network.add_body", parent)
    form = nf.BodyForm(request.POST or None, creating=True)
    status = 200
    if request.method == "POST" and form.is_valid():
        body = Body(key=form.cleaned_data["key"], parent=parent)
        status = _save_body(request, form, body, reason="body")
        if status is None:
            messages.success(request, _("The body was recorded."))
            return redirect("network_work:body", key=body.key)
    return _render_form(
        request,
        form,
        title=_("Found a body under %(body)s") % {"body": parent.label},
        submit=_("Record"),
        body=parent,
        status=status,
    )


@login_required
def body_edit(request, key):
    body = _body(request, key)
    form = nf.BodyForm(request.POST or None, creating=False, initial=nf.BodyForm.initial_for(body))
    status = 200
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"] or body.version
        status = _save_body(request, form, body, version=version, reason="edited")
        if status is None:
            messages.success(request, _("The body was saved."))
            return redirect("network_work:body", key=body.key)
    return _render_form(
        request, form, title=_("Edit the body"), submit=_("Save"), body=body, status=status
    )


# ---------------------------------------------------------------- decisions and commitments


@login_required
def decision_new(request, pk):
    meeting = get_object_or_404(Meeting.objects.select_related("body__parent"), pk=pk)
    _require(request.user, "network.change_body", meeting.body)
    decision = Decision(meeting=meeting)
    initial = {"position": meeting.decisions.count() + 1}
    return _decision_page(request, decision, initial)


@login_required
def decision_edit(request, pk):
    decision = get_object_or_404(
        Decision.objects.select_related("meeting__body__parent", "addressed_to"), pk=pk
    )
    _require(request.user, "network.change_body", decision.meeting.body)
    initial = {name: getattr(decision, name) for name in nf.DecisionForm.FIELDS}
    initial.update(addressed_to=decision.addressed_to_id, version=decision.version)
    return _decision_page(request, decision, initial)


def _decision_page(request, decision: Decision, initial: dict):
    """Record a decision (not saved yet) or edit one (with the version it was read at)."""
    meeting, body = decision.meeting, decision.meeting.body
    creating = decision.pk is None
    form = nf.DecisionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        for name in nf.DecisionForm.FIELDS:
            setattr(decision, name, data[name])
        if decision.position is None:
            decision.position = 0
        try:
            if creating:
                services.decision_save(acting_user=request.user, decision=decision)
            else:
                services.decision_save(
                    acting_user=request.user,
                    decision=decision,
                    version=data["version"] or decision.version,
                    reason="edited",
                )
        except DomainError as exc:
            _show_error(form, exc)
            status = _refused_status(exc)
        else:
            if creating:
                messages.success(request, _("The decision was recorded."))
            else:
                messages.success(request, _("The decision was saved."))
            return redirect(_public_url("network:meeting", meeting.pk, body))
    return _render_form(
        request,
        form,
        title=_("Record a decision") if creating else _("Edit the decision"),
        submit=_("Record") if creating else _("Save"),
        body=body,
        status=status,
        details=[(_("Meeting"), meeting.name), (_("Held on"), meeting.starts_on)],
    )


def _decisions_for(body: Body):
    """The decisions a commitment of `body` may follow from: of the meetings of the body, of
    the bodies it belongs to, and of the bodies under it."""
    lineage = [b.pk for b in _lineage(body)]
    return (
        Decision.objects.filter(Q(meeting__body_id__in=lineage) | Q(meeting__body__parent=body))
        .select_related("meeting")
        .order_by("-meeting__starts_on", "meeting_id", "position", "pk")
    )


COMMITMENT_FIELDS = nf.CommitmentForm.MODEL_FIELDS


def _commitment_page(request, form, body, *, title, submit, status):
    return _render_form(request, form, title=title, submit=submit, body=body, status=status)


def _save_commitment(request, form, commitment: Commitment, *, version=None):
    """Fill the commitment from the form and save it; the refusal, if any, on the form."""
    data = form.cleaned_data
    for name in COMMITMENT_FIELDS:
        setattr(commitment, name, data[name])
    commitment.meeting_kinds = list(data["meeting_kinds"])
    try:
        services.commitment_save(
            acting_user=request.user,
            commitment=commitment,
            responsible=list(data["responsible_organizations"]),
            nodes=data["links"][0],
            indicators=data["links"][1],
            version=version,
            reason="edited" if version else "commitment",
        )
    except DomainError as exc:
        _show_error(form, exc)
        return _refused_status(exc)
    return None


@login_required
def commitment_new(request, key):
    body = _body(request, key)
    form = nf.CommitmentForm(
        request.POST or None,
        decisions=_decisions_for(body),
        user=request.user,
        initial={"decision": request.GET.get("decision") or None},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        status = _save_commitment(request, form, Commitment(body=body))
        if status is None:
            messages.success(request, _("The commitment was recorded."))
            return redirect(_public_url("network:body", body.key, body))
    return _commitment_page(
        request, form, body, title=_("Record a commitment"), submit=_("Record"), status=status
    )


@login_required
def commitment_edit(request, pk):
    commitment = get_object_or_404(
        Commitment.objects.select_related("body__parent").prefetch_related(
            "responsible_organizations", "nodes__plan", "indicators__plan"
        ),
        pk=pk,
    )
    body = commitment.body
    _require(request.user, "network.change_body", body)
    form = nf.CommitmentForm(
        request.POST or None,
        decisions=_decisions_for(body),
        user=request.user,
        initial=nf.CommitmentForm.initial_for(commitment),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"] or commitment.version
        status = _save_commitment(request, form, commitment, version=version)
        if status is None:
            messages.success(request, _("The commitment was saved."))
            return redirect(_public_url("network:body", body.key, body))
    return _commitment_page(
        request, form, body, title=_("Edit the commitment"), submit=_("Save"), status=status
    )


# ---------------------------------------------------------------- memberships and focal points


@login_required
def membership_new(request, key):
    body = _body(request, key)
    meetings = Meeting.objects.filter(
        body_id__in=[b for b in (body.pk, body.parent_id) if b]
    ).order_by("-starts_on")
    form = nf.MembershipForm(request.POST or None, meetings=meetings)
    status = 200
    if request.method == "POST" and form.is_valid():
        membership = Membership(body=body, **form.cleaned_data)
        try:
            services.membership_save(acting_user=request.user, membership=membership)
        except DomainError as exc:
            _show_error(form, exc)
            status = _refused_status(exc)
        else:
            messages.success(
                request,
                _("%(organization)s now sits in %(body)s.")
                % {"organization": membership.organization.label, "body": body.label},
            )
            return redirect(_public_url("network:body", body.key, body))
    return _render_form(
        request, form, title=_("Add a member"), submit=_("Add"), body=body, status=status
    )


@login_required
def membership_end(request, pk):
    membership = get_object_or_404(
        Membership.objects.select_related("body__parent", "organization"), pk=pk
    )
    body = membership.body
    _require(request.user, "network.change_body", body)
    form = nf.MembershipEndForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_end(
                acting_user=request.user,
                membership=membership,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"] or "ended",
            )
        except DomainError as exc:
            _show_error(form, exc, {"term_to": "on"})
            status = _refused_status(exc)
        else:
            messages.success(
                request,
                _("The term of %(organization)s ended.")
                % {"organization": membership.organization.label},
            )
            return redirect(_public_url("network:body", body.key, body))
    return _render_form(
        request,
        form,
        title=_("End a term"),
        submit=_("End the term"),
        body=body,
        status=status,
        details=[
            (_("Organization"), membership.organization),
            (_("Role"), membership.get_role_display()),
            (_("Seat"), membership.seat),
            (_("Term from"), membership.term_from),
        ],
    )


FOCAL_POINT_FIELDS = (
    "country",
    "organization",
    "unit",
    "position",
    "person_name",
    "contact",
    "consent_on",
    "source_ref",
)


@login_required
def focal_point(request, key):
    """Set the focal point of a country in the body (a new one, or the country's, changed)."""
    body = _body(request, key)
    initial = {}
    country = request.GET.get("country", "")[:2]
    if country:
        known = FocalPoint.objects.filter(body=body, country_id=country).first()
        if known is not None:
            initial = {name: getattr(known, name) for name in FOCAL_POINT_FIELDS}
        else:
            initial = {"country": country}
    form = nf.FocalPointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        point = FocalPoint.objects.filter(body=body, country=data["country"]).first()
        point = point or FocalPoint(body=body)
        for name in FOCAL_POINT_FIELDS:
            setattr(point, name, data[name])
        try:
            services.focal_point_save(acting_user=request.user, focal_point=point)
        except DomainError as exc:
            _show_error(form, exc)
            status = _refused_status(exc)
        else:
            messages.success(
                request, _("The focal point of %(country)s was set.") % {"country": point.country}
            )
            return redirect(_public_url("network:body", body.key, body))
    return _render_form(
        request, form, title=_("Set a focal point"), submit=_("Save"), body=body, status=status
    )


# ---------------------------------------------------------------- commitment updates


def _reporting_organizations(user, commitment: Commitment, *, runs: bool):
    """The organizations the user may report for: the commitment's responsible organizations
    and the current members of its responsible body (for a member's user, only theirs)."""
    today = timezone.localdate()
    condition = Q(commitments=commitment)
    if commitment.responsible_body_id:
        condition |= Q(
            Q(memberships__term_to__isnull=True) | Q(memberships__term_to__gte=today),
            memberships__body_id=commitment.responsible_body_id,
        )
    organizations = Organization.objects.filter(
        pk__in=Organization.objects.filter(condition).values("pk")
    )
    if not runs:
        organizations = organizations.filter(pk__in=organization_ids_as_member(user))
    return organizations.order_by("name")


def _only_organization(form, organizations, *, runs: bool):
    """A member's user reports for their organization: when it is the only one, it is not
    asked (and returned); otherwise it is asked, and required unless the user runs the body."""
    if not runs:
        candidates = list(organizations[:2])
        if len(candidates) == 1:
            del form.fields["organization"]
            return candidates[0]
    form.fields["organization"].required = not runs
    return None


def _visible_update(request, pk) -> CommitmentUpdate:
    return get_object_or_404(
        updates_visible_to(
            request.user,
            CommitmentUpdate.objects.select_related("commitment__body__parent", "organization"),
        ),
        pk=pk,
    )


def _save_update(request, form, update: CommitmentUpdate, *, version=None):
    """Save the update as a draft, and submit it when asked; the refusal, if any, on the form
    (both or nothing)."""
    data = form.cleaned_data
    for name in ("organization", "date", "reported_status", "text", "evidence_url"):
        if name in data:
            setattr(update, name, data[name])
    submit = request.POST.get("action") == nf.SUBMIT
    try:
        with transaction.atomic():
            services.update_save(acting_user=request.user, update=update, version=version)
            if submit:
                services.update_submit(acting_user=request.user, update=update)
    except DomainError as exc:
        _show_error(form, exc, {"commitment": None})
        return _refused_status(exc)
    if submit:
        messages.success(request, _("The update was submitted for review."))
    else:
        messages.success(request, _("The update was saved as a draft."))
    return None


def _update_page(request, form, commitment, *, update=None, status=200):
    user = request.user
    updates = page_of(
        request,
        updates_visible_to(
            user,
            commitment.updates.select_related(
                "organization", "created_by", "submitted_by", "reviewed_by"
            ),
        ).order_by("-date", "-pk"),
        PER_PAGE,
        prefix="u",
    )
    return render(
        request,
        "web/workbench/network/update.html",
        {
            "commitment": commitment,
            "body": commitment.body,
            "form": form,
            "update": update,
            "updates": updates,
            "editable": (UpdateStatus.DRAFT, UpdateStatus.RETURNED),
            "meetings_rule": commitment.rule == Rule.MEETINGS,
            "runs": user.has_perm("network.change_body", commitment.body),
        },
        status=status,
    )


@login_required
def update_new(request, pk):
    """Write a progress update on a commitment: saved as a draft, or submitted for review."""
    commitment = get_object_or_404(
        Commitment.objects.select_related("body__parent", "decision__meeting"), pk=pk
    )
    user = request.user
    _require(user, "network.report_commitment", commitment)
    runs = user.has_perm("network.change_body", commitment.body)
    organizations = _reporting_organizations(user, commitment, runs=runs)
    form = nf.UpdateForm(request.POST or None, organizations=organizations)
    only = _only_organization(form, organizations, runs=runs)
    status = 200
    if request.method == "POST" and form.is_valid():
        update = CommitmentUpdate(commitment=commitment, organization=only)
        status = _save_update(request, form, update)
        if status is None:
            return redirect("network_work:update_new", pk=commitment.pk)
    return _update_page(request, form, commitment, status=status or 200)


@login_required
def update_edit(request, pk):
    """Change a draft or returned update (and submit it again)."""
    update = _visible_update(request, pk)
    commitment = update.commitment
    user = request.user
    _require(user, "network.report_commitment", commitment)
    runs = user.has_perm("network.change_body", commitment.body)
    organizations = _reporting_organizations(user, commitment, runs=runs)
    form = nf.UpdateForm(
        request.POST or None,
        organizations=organizations,
        initial=nf.UpdateForm.initial_for(update),
    )
    if update.organization_id is not None:
        del form.fields["organization"]  # it stays the organization it reports for
    else:
        update.organization = _only_organization(form, organizations, runs=runs)
    status = 200
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"] or update.version
        status = _save_update(request, form, update, version=version)
        if status is None:
            return redirect("network_work:update_new", pk=commitment.pk)
    return _update_page(request, form, commitment, update=update, status=status or 200)


@login_required
@require_POST
def update_approve(request, pk):
    update = _visible_update(request, pk)
    _require(request.user, "network.review_commitmentupdate", update)
    try:
        services.update_approve(acting_user=request.user, update=update)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The update was approved: the commitment is now “%(status)s”.")
            % {"status": update.get_reported_status_display()},
        )
    return redirect(_next_url(request, _work_url(update.commitment.body)))


@login_required
def update_return(request, pk):
    """Return a submitted update with a comment saying what to correct."""
    update = _visible_update(request, pk)
    _require(request.user, "network.review_commitmentupdate", update)
    body = update.commitment.body
    form = nf.ReturnForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.update_return(
                acting_user=request.user, update=update, comment=form.cleaned_data["comment"]
            )
        except IllegalTransition as exc:
            messages.error(request, exc.message)
            return redirect(_work_url(body))
        except DomainError as exc:
            _show_error(form, exc)
            status = _refused_status(exc)
        else:
            messages.success(request, _("The update was returned."))
            return redirect(_next_url(request, _work_url(body)))
    return _render_form(
        request,
        form,
        title=_("Return an update"),
        submit=_("Return"),
        body=body,
        status=status,
        details=[
            (_("Commitment"), update.commitment),
            (_("Reporting for"), update.organization),
            (_("Date"), update.date),
            (_("Status reported"), update.get_reported_status_display()),
            (_("Progress"), update.text),
        ],
    )
