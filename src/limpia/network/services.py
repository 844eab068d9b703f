"""Every change to the network goes through these functions: atomic, permission-checked
(limpia.access.rules), validated with a message that names the field and the value, and
attributed in history (who, from where, why).

Bodies, memberships, focal points, meetings, decisions and commitments are written by a body's
secretariat (or an administrator); commitment updates by the responsible organizations, and
reviewed — approved or returned — by the secretariat, never by whoever submitted them.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from limpia.core.errors import DomainError, IllegalTransition
from limpia.core.services import claim_version, require_perm, save_attributed, validate_model
from limpia.network.models import (
    AgendaItem,
    Body,
    BodyStatus,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Decision,
    FocalPoint,
    Meeting,
    MeetingKind,
    Membership,
    Participation,
    Role,
    Rule,
    Scope,
    UpdateStatus,
)
from limpia.plans.services import require_visible_elements

SEATED_ALONE = frozenset({Role.TITULAR, Role.ALTERNATE, Role.CHAIR, Role.COORDINATOR})


def _day(value: dt.date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _save(instance, *, acting_user, perm: str, perm_obj, version, reason: str):
    """Check, validate and save one network row with its history."""
    creating = instance._state.adding
    require_perm(acting_user, perm, perm_obj)
    if not creating:
        claim_version(instance, version)
    validate_model(instance)
    try:
        with transaction.atomic():
            save_attributed(instance, acting_user=acting_user, reason=reason)
    except IntegrityError as exc:  # a uniqueness another writer won in the meantime
        raise DomainError(_("This record already exists: %(error)s") % {"error": exc}) from None
    return instance


# ------------------------------------------------------------------ bodies


def _check_scope(body: Body) -> None:
    needs = {
        Scope.COUNTRY: ("country", body.country_id),
        Scope.SUBREGION: ("subregion", body.subregion_id),
        Scope.SUBDIVISION: ("subdivision", body.subdivision_id),
    }
    if body.scope in needs:
        field, value = needs[body.scope]
        if not value:
            raise DomainError(
                _("A body of scope “%(scope)s” needs its %(field)s.")
                % {"scope": body.get_scope_display(), "field": field},
                field=field,
            )
    if body.subdivision_id:
        body.country_id = body.subdivision.country_id
        if body.subdivision.parent_id is not None:
            raise DomainError(
                _("%(code)s is not a first-level subdivision.") % {"code": body.subdivision_id},
                field="subdivision",
            )


def _check_parent(body: Body) -> None:
    ancestor = body.parent
    while ancestor is not None:
        if body.pk is not None and ancestor.pk == body.pk:
            raise DomainError(_("A body cannot be inside itself."), field="parent")
        ancestor = ancestor.parent


@transaction.atomic
def body_save(*, acting_user, body: Body, version: int | None = None, reason: str = "body"):
    """Create or update a body. Creating one takes an administrator or the secretariat of the
    body it belongs to."""
    _check_scope(body)
    _check_parent(body)
    if body.active_from and body.active_until and body.active_until < body.active_from:
        raise DomainError(
            _("The body cannot stop being active (%(until)s) before it starts (%(from)s).")
            % {"until": _day(body.active_until), "from": _day(body.active_from)},
            field="active_until",
        )
    if body.status == BodyStatus.PROPOSED and body.founded_on:
        body.status = BodyStatus.ACTIVE
    if body.founded_on and body.pk:
        first = body.meetings.exclude(status="cancelled").order_by("starts_on").first()
        if first is not None and first.starts_on < body.founded_on:
            raise DomainError(
                _("%(meeting)s met on %(date)s, before the founding date %(founded)s.")
                % {
                    "meeting": first.name,
                    "date": _day(first.starts_on),
                    "founded": _day(body.founded_on),
                },
                field="founded_on",
            )
    if body.pk is None and Body.objects.filter(key=body.key).exists():
        raise DomainError(
            _("Another body already has the key “%(key)s”.") % {"key": body.key}, field="key"
        )
    perm = "network.change_body" if body.pk else "network.add_body"
    return _save(
        body,
        acting_user=acting_user,
        perm=perm,
        perm_obj=body if body.pk else body.parent,
        version=version,
        reason=reason,
    )


# ------------------------------------------------------------------ memberships


def _overlaps(a_from, a_to, b_from, b_to) -> bool:
    low = dt.date.min
    high = dt.date.max
    return (a_from or low) <= (b_to or high) and (b_from or low) <= (a_to or high)


@transaction.atomic
def membership_save(
    *, acting_user, membership: Membership, version: int | None = None, reason: str = "membership"
):
    """Seat an organization in a body for a term. A seat has one titular (alternate, chair,
    coordinator) at a time."""
    if membership.term_from and membership.term_to and membership.term_to < membership.term_from:
        raise DomainError(
            _("The term cannot end (%(to)s) before it starts (%(from)s).")
            % {"to": _day(membership.term_to), "from": _day(membership.term_from)},
            field="term_to",
        )
    if membership.elected_at_id:
        meeting = membership.elected_at
        if meeting.body_id not in (membership.body_id, membership.body.parent_id):
            raise DomainError(
                _("%(meeting)s is not a meeting of this body or of the body it belongs to.")
                % {"meeting": meeting.name},
                field="elected_at",
            )
    if membership.role in SEATED_ALONE:
        others = (
            Membership.objects.select_for_update()
            .filter(body_id=membership.body_id, role=membership.role, seat=membership.seat)
            .exclude(pk=membership.pk)
            .select_related("organization")
        )
        for other in others:
            if _overlaps(other.term_from, other.term_to, membership.term_from, membership.term_to):
                raise DomainError(
                    _(
                        "“%(seat)s” already has a %(role)s for that term: %(other)s "
                        "(%(from)s – %(to)s)."
                    )
                    % {
                        "seat": membership.seat or membership.body.name,
                        "role": membership.get_role_display().lower(),
                        "other": other.organization.label,
                        "from": _day(other.term_from),
                        "to": _day(other.term_to),
                    },
                    field="role",
                )
    return _save(
        membership,
        acting_user=acting_user,
        perm="network.change_body",
        perm_obj=membership.body,
        version=version,
        reason=reason,
    )


@transaction.atomic
def membership_end(*, acting_user, membership: Membership, on: dt.date, reason: str = "ended"):
    """End a term on a day (the history keeps it)."""
    membership.term_to = on
    return membership_save(
        acting_user=acting_user, membership=membership, version=membership.version, reason=reason
    )


# ------------------------------------------------------------------ focal points


@transaction.atomic
def focal_point_save(
    *, acting_user, focal_point: FocalPoint, version: int | None = None, reason: str = "focal point"
):
    """The focal point of a country in a body; a person's name or contact only with consent."""
    if (focal_point.person_name or focal_point.contact) and not focal_point.consent_on:
        raise DomainError(
            _("A person's name or contact is kept only with their consent: give its date."),
            field="consent_on",
        )
    other = (
        FocalPoint.objects.filter(body_id=focal_point.body_id, country_id=focal_point.country_id)
        .exclude(pk=focal_point.pk)
        .first()
    )
    if other is not None:
        raise DomainError(
            _("%(country)s already has a focal point in this body (%(organization)s).")
            % {"country": focal_point.country_id, "organization": other.organization.label},
            field="country",
        )
    return _save(
        focal_point,
        acting_user=acting_user,
        perm="network.change_body",
        perm_obj=focal_point.body,
        version=version,
        reason=reason,
    )


# ------------------------------------------------------------------ meetings


@transaction.atomic
def meeting_save(
    *,
    acting_user,
    meeting: Meeting,
    agenda: list[dict] | None = None,
    participation: list[dict] | None = None,
    documents=None,
    version: int | None = None,
    reason: str = "meeting",
):
    """Record a meeting (and, when given, replace its agenda, participation and documents:
    minutes and reports published in the knowledge centre)."""
    body = meeting.body
    if meeting.starts_on and meeting.ends_on and meeting.ends_on < meeting.starts_on:
        raise DomainError(
            _("The meeting cannot end (%(end)s) before it starts (%(start)s).")
            % {"end": _day(meeting.ends_on), "start": _day(meeting.starts_on)},
            field="ends_on",
        )
    if body.founded_on and meeting.starts_on and meeting.starts_on < body.founded_on:
        raise DomainError(
            _("%(body)s was founded on %(founded)s: it cannot have met on %(date)s.")
            % {
                "body": body.label,
                "founded": _day(body.founded_on),
                "date": _day(meeting.starts_on),
            },
            field="starts_on",
        )
    if meeting.kind == MeetingKind.VIRTUAL:
        meeting.is_virtual = True
    if meeting.status == "held" and meeting.starts_on and meeting.starts_on > timezone.localdate():
        raise DomainError(
            _("A meeting on %(date)s has not been held yet: record it as scheduled.")
            % {"date": _day(meeting.starts_on)},
            field="status",
        )
    if meeting.number is not None:
        clash = Meeting.objects.filter(body=body, number=meeting.number).exclude(pk=meeting.pk)
        if clash.exists():
            raise DomainError(
                _("%(body)s already has a meeting number %(number)s.")
                % {"body": body.label, "number": meeting.number},
                field="number",
            )
    _save(
        meeting,
        acting_user=acting_user,
        perm="network.change_body",
        perm_obj=body,
        version=version,
        reason=reason,
    )
    if agenda is not None:
        _replace_agenda(meeting, agenda)
    if participation is not None:
        _replace_participation(meeting, participation)
    if documents is not None:
        _check_published(documents)
        meeting.documents.set(documents)
    return meeting


def _check_published(documents) -> None:
    for document in documents:
        if document.status != "published":
            raise DomainError(
                _("“%(title)s” is not published in the knowledge centre: publish it first.")
                % {"title": document.title},
                field="documents",
            )


def _replace_agenda(meeting: Meeting, items: list[dict]) -> None:
    rows = []
    for position, item in enumerate(items, start=1):
        title = str(item.get("title") or "").strip()
        if not title:
            raise DomainError(
                _("Agenda item %(n)s has no title.") % {"n": position}, field="agenda"
            )
        day = item.get("day")
        if day and not (meeting.starts_on <= day <= meeting.ends_on):
            raise DomainError(
                _("Agenda item %(n)s is on %(day)s, outside the meeting's dates.")
                % {"n": position, "day": _day(day)},
                field="agenda",
            )
        rows.append(
            AgendaItem(
                meeting=meeting,
                position=position,
                day=day,
                time=str(item.get("time") or "")[:40],
                title=title,
                source_ref=str(item.get("source_ref") or "")[:500],
            )
        )
    meeting.agenda.all().delete()
    AgendaItem.objects.bulk_create(rows)


def _replace_participation(meeting: Meeting, rows: list[dict]) -> None:
    from limpia.network.models import ParticipantKind

    kinds = set(ParticipantKind.values)
    seen, created = set(), []
    for n, row in enumerate(rows, start=1):
        kind = row.get("kind")
        if kind not in kinds:
            raise DomainError(
                _("Participation row %(n)s: unknown kind “%(kind)s”.") % {"n": n, "kind": kind},
                field="participation",
            )
        count = row.get("count")
        if not isinstance(count, int) or count < 0:
            raise DomainError(
                _("Participation row %(n)s: the count must be a whole number, not “%(value)s”.")
                % {"n": n, "value": count},
                field="participation",
            )
        organization = row.get("organization")
        key = (kind, getattr(organization, "pk", None))
        if key in seen:
            raise DomainError(
                _("Participation row %(n)s repeats an earlier row.") % {"n": n},
                field="participation",
            )
        seen.add(key)
        created.append(
            Participation(
                meeting=meeting,
                kind=kind,
                organization=organization,
                count=count,
                text=str(row.get("text") or "")[:300],
                source_ref=str(row.get("source_ref") or "")[:500],
            )
        )
    meeting.participation.all().delete()
    Participation.objects.bulk_create(created)


# ------------------------------------------------------------------ decisions and commitments


@transaction.atomic
def decision_save(
    *, acting_user, decision: Decision, version: int | None = None, reason: str = "decision"
):
    if not (decision.text or "").strip():
        raise DomainError(_("A decision needs its text."), field="text")
    return _save(
        decision,
        acting_user=acting_user,
        perm="network.change_body",
        perm_obj=decision.meeting.body,
        version=version,
        reason=reason,
    )


def _check_commitment(commitment: Commitment) -> None:
    if commitment.decision_id:
        meeting = commitment.decision.meeting
        if commitment.due_on and commitment.due_on < meeting.starts_on:
            raise DomainError(
                _(
                    "The commitment cannot be due (%(due)s) before the meeting that decided "
                    "it (%(date)s)."
                )
                % {"due": _day(commitment.due_on), "date": _day(meeting.starts_on)},
                field="due_on",
            )
    if commitment.starts_on and commitment.due_on and commitment.due_on < commitment.starts_on:
        raise DomainError(
            _("The commitment cannot be due (%(due)s) before it is counted from (%(start)s).")
            % {"due": _day(commitment.due_on), "start": _day(commitment.starts_on)},
            field="due_on",
        )
    if commitment.rule == Rule.MEETINGS:
        if not commitment.tracked_body_id:
            raise DomainError(_("Say whose meetings meet this commitment."), field="tracked_body")
        if not commitment.starts_on:
            raise DomainError(_("Say from what date the meetings count."), field="starts_on")
        if not commitment.every_months and not commitment.due_on:
            raise DomainError(_("A one-off meeting commitment needs its due date."), field="due_on")
        kinds = commitment.meeting_kinds or []
        unknown = [k for k in kinds if k not in MeetingKind.values]
        if not isinstance(kinds, list) or unknown:
            raise DomainError(
                _("Unknown meeting kind “%(kind)s”.") % {"kind": unknown[0] if unknown else kinds},
                field="meeting_kinds",
            )
    if commitment.every_months is not None and commitment.every_months < 1:
        raise DomainError(
            _("A recurring commitment repeats every one month or more, not %(value)s.")
            % {"value": commitment.every_months},
            field="every_months",
        )


@transaction.atomic
def commitment_save(
    *,
    acting_user,
    commitment: Commitment,
    responsible=None,
    nodes=None,
    indicators=None,
    version: int | None = None,
    reason: str = "commitment",
):
    """Create or update a commitment; `responsible` (organizations), `nodes` and `indicators`
    (the plan nodes and indicators it serves), when given, replace what it had."""
    _check_commitment(commitment)
    require_visible_elements(acting_user, nodes=nodes, indicators=indicators)
    if commitment.status == CommitmentStatus.DONE and not commitment.done_on:
        commitment.done_on = timezone.localdate()
    if commitment.status != CommitmentStatus.DONE:
        commitment.done_on = None
    _save(
        commitment,
        acting_user=acting_user,
        perm="network.change_body",
        perm_obj=commitment.body,
        version=version,
        reason=reason,
    )
    if responsible is not None:
        commitment.responsible_organizations.set(responsible)
    if nodes is not None:
        commitment.nodes.set(nodes)
    if indicators is not None:
        commitment.indicators.set(indicators)
    return commitment


# ------------------------------------------------------------------ commitment updates

U = UpdateStatus
UPDATE_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({U.DRAFT, U.RETURNED}), U.SUBMITTED),
    "approve": (frozenset({U.SUBMITTED}), U.APPROVED),
    "return": (frozenset({U.SUBMITTED}), U.RETURNED),
}
REFUSALS = {
    "submit": gettext_lazy(
        "Only a draft or returned update can be submitted; this one is “%(status)s”."
    ),
    "approve": gettext_lazy("Only a submitted update can be approved; this one is “%(status)s”."),
    "return": gettext_lazy("Only a submitted update can be returned; this one is “%(status)s”."),
    "change": gettext_lazy(
        "Only a draft or returned update can be changed; this one is “%(status)s”."
    ),
}


def _transition(update: CommitmentUpdate, verb: str) -> str:
    sources, target = UPDATE_TRANSITIONS[verb]
    if update.status not in sources:
        raise IllegalTransition(REFUSALS[verb] % {"status": update.get_status_display()})
    return target


def _locked(update: CommitmentUpdate) -> CommitmentUpdate:
    return (
        CommitmentUpdate.objects.select_for_update().select_related("commitment").get(pk=update.pk)
    )


@transaction.atomic
def update_save(
    *, acting_user, update: CommitmentUpdate, version: int | None = None
) -> CommitmentUpdate:
    """A draft report on a commitment, by one of its responsible organizations."""
    commitment = update.commitment
    if commitment.rule == Rule.MEETINGS:
        raise DomainError(
            _(
                "This commitment is met by the body's meetings: record the meeting instead of "
                "an update."
            ),
            field="commitment",
        )
    if update.pk is None:
        update.created_by = acting_user
        update.status = U.DRAFT
    elif update.status not in (U.DRAFT, U.RETURNED):
        raise IllegalTransition(REFUSALS["change"] % {"status": update.get_status_display()})
    if update.date and update.date > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="date")
    if not (update.text or "").strip():
        raise DomainError(_("Say what was done."), field="text")
    return _save(
        update,
        acting_user=acting_user,
        perm="network.report_commitment",
        perm_obj=commitment,
        version=version,
        reason="update",
    )


@transaction.atomic
def update_submit(*, acting_user, update: CommitmentUpdate) -> CommitmentUpdate:
    update = _locked(update)
    require_perm(acting_user, "network.report_commitment", update.commitment)
    update.status = _transition(update, "submit")
    update.submitted_by = acting_user
    update.version += 1
    save_attributed(
        update,
        acting_user=acting_user,
        update_fields=["status", "submitted_by", "version"],
        reason="submitted",
    )
    return update


@transaction.atomic
def update_approve(*, acting_user, update: CommitmentUpdate) -> CommitmentUpdate:
    """Approve an update: the commitment takes the status it reports (done on its date)."""
    update = _locked(update)
    require_perm(acting_user, "network.review_commitmentupdate", update)
    update.status = _transition(update, "approve")
    update.reviewed_by, update.reviewed_at = acting_user, timezone.now()
    update.review_comment = ""
    update.version += 1
    save_attributed(
        update,
        acting_user=acting_user,
        update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "version"],
        reason="approved",
    )
    commitment = Commitment.objects.select_for_update().get(pk=update.commitment_id)
    commitment.status = update.reported_status
    commitment.done_on = update.date if update.reported_status == CommitmentStatus.DONE else None
    commitment.version += 1
    save_attributed(
        commitment,
        acting_user=acting_user,
        update_fields=["status", "done_on", "version"],
        reason=f"update {update.pk} approved",
    )
    return update


@transaction.atomic
def update_return(*, acting_user, update: CommitmentUpdate, comment: str) -> CommitmentUpdate:
    update = _locked(update)
    require_perm(acting_user, "network.review_commitmentupdate", update)
    if not (comment or "").strip():
        raise DomainError(
            _("Say why the update is returned, so it can be corrected."), field="comment"
        )
    update.status = _transition(update, "return")
    update.reviewed_by, update.reviewed_at = acting_user, timezone.now()
    update.review_comment = comment.strip()
    update.version += 1
    save_attributed(
        update,
        acting_user=acting_user,
        update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "version"],
        reason="returned",
    )
    return update
