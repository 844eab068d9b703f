"""Forms of the network's back office (a body's secretariat, responsible organizations).

They only shape and type the input; every rule is limpia.network.services' business, and their
refusals are shown on the field they name (the form fields are named as the model's). The
agenda is typed one line per item and parsed strictly here, naming the line at fault."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from limpia.access.rules import plans_visible_to
from limpia.core.models import Country, Organization, Subdivision, Subregion
from limpia.knowledge.models import Document
from limpia.network.models import (
    Body,
    BodyKind,
    BodyStatus,
    CommitmentStatus,
    DecisionKind,
    MeetingKind,
    MeetingStatus,
    ParticipantKind,
    Role,
    Rule,
    Scope,
)
from limpia.plans.loader import normalize_code
from limpia.plans.models import Indicator, Node, Plan
from limpia.web.forms import BootstrapForm
from limpia.web.workbench_forms import _style

AGENDA_SEPARATOR = "|"


def _date(label, **kwargs):
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
    )


def _text(label, rows=2, **kwargs):
    kwargs.setdefault("required", False)
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _version():
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


def _choice(label, choices, **kwargs):
    return forms.ChoiceField(label=label, choices=choices, **kwargs)


def _organizations():
    return Organization.objects.order_by("name")


def _bodies():
    return Body.objects.order_by("name")


# ---------------------------------------------------------------- meetings


def parse_agenda(text: str) -> list[dict]:
    """The agenda typed one item a line: «title», or «day | time | title» (day as YYYY-MM-DD,
    day and time may be empty). Empty lines are skipped; anything else is refused naming the
    line."""
    items = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split(AGENDA_SEPARATOR)]
        if len(parts) == 1:
            day, time, title = "", "", parts[0]
        elif len(parts) == 3:
            day, time, title = parts
        else:
            raise forms.ValidationError(
                _("Line %(n)s: write «title» or «day | time | title», not «%(line)s»."),
                code="agenda_line",
                params={"n": n, "line": line},
            )
        if not title:
            raise forms.ValidationError(
                _("Line %(n)s has no title."), code="agenda_title", params={"n": n}
            )
        parsed_day = None
        if day:
            try:
                parsed_day = dt.date.fromisoformat(day)
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: «%(day)s» is not a date (YYYY-MM-DD)."),
                    code="agenda_day",
                    params={"n": n, "day": day},
                ) from None
        if len(time) > 40:
            raise forms.ValidationError(
                _("Line %(n)s: the time «%(time)s» is longer than 40 characters."),
                code="agenda_time",
                params={"n": n, "time": time},
            )
        items.append({"day": parsed_day, "time": time, "title": title})
    return items


LINK_SEPARATOR = ":"


def parse_links(text: str, user) -> tuple[list, list]:
    """The plan nodes and indicators a commitment serves, typed one a line as «plan: code»
    (the plan's key, then an indicator's code or a node's; an indicator is looked up first).
    Three queries whatever the number of lines; a line that names nothing is refused."""
    wanted = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        slug, separator, code = (part.strip() for part in line.partition(LINK_SEPARATOR))
        if not separator or not slug or not code:
            raise forms.ValidationError(
                _("Line %(n)s: write «plan: code», not «%(line)s»."),
                code="link_line",
                params={"n": n, "line": line},
            )
        wanted.append((n, slug, code))
    if not wanted:
        return [], []
    plans = {
        p.slug: p
        for p in plans_visible_to(user, Plan.objects.filter(slug__in={w[1] for w in wanted}))
    }
    plan_ids = [p.pk for p in plans.values()]
    indicators = {
        (i.plan_id, i.code): i
        for i in Indicator.objects.filter(
            plan_id__in=plan_ids, code__in={w[2] for w in wanted}
        ).select_related("plan")
    }
    nodes = {
        (n.plan_id, n.normalized_code): n
        for n in Node.objects.filter(
            plan_id__in=plan_ids, normalized_code__in={normalize_code(w[2]) for w in wanted}
        ).select_related("plan")
    }
    found_nodes, found_indicators = [], []
    for n, slug, code in wanted:
        plan = plans.get(slug)
        if plan is None:
            raise forms.ValidationError(
                _("Line %(n)s: there is no plan «%(plan)s»."),
                code="link_plan",
                params={"n": n, "plan": slug},
            )
        if (plan.pk, code) in indicators:
            found_indicators.append(indicators[(plan.pk, code)])
        elif (plan.pk, normalize_code(code)) in nodes:
            found_nodes.append(nodes[(plan.pk, normalize_code(code))])
        else:
            raise forms.ValidationError(
                _("Line %(n)s: «%(code)s» is neither an indicator nor a node of «%(plan)s»."),
                code="link_code",
                params={"n": n, "code": code, "plan": slug},
            )
    return found_nodes, found_indicators


def links_text(commitment) -> str:
    lines = [f"{node.plan.slug}{LINK_SEPARATOR} {node.code}" for node in commitment.nodes.all()]
    lines += [f"{i.plan.slug}{LINK_SEPARATOR} {i.code}" for i in commitment.indicators.all()]
    return "\n".join(lines)


def agenda_text(items) -> str:
    """The agenda items as the form shows them (the inverse of parse_agenda)."""
    lines = []
    for item in items:
        if item.day or item.time:
            day = item.day.isoformat() if item.day else ""
            lines.append(f"{day} | {item.time} | {item.title}")
        else:
            lines.append(item.title)
    return "\n".join(lines)


class MeetingForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=300)
    number = forms.IntegerField(
        label=_("Number"), required=False, min_value=1, help_text=_("e.g. 4 for the IV meeting.")
    )
    kind = _choice(_("Kind"), MeetingKind.choices, initial=MeetingKind.ORDINARY)
    status = _choice(_("Status"), MeetingStatus.choices, initial=MeetingStatus.HELD)
    starts_on = _date(_("Starts on"))
    ends_on = _date(_("Ends on"), required=False, help_text=_("Empty: the day it starts."))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    country = forms.ModelChoiceField(label=_("Country"), queryset=None, required=False)
    is_virtual = forms.BooleanField(label=_("Virtual"), required=False)
    total_participants = forms.IntegerField(
        label=_("Participants in all"), required=False, min_value=0
    )
    agenda = _text(
        _("Agenda"),
        rows=6,
        help_text=_(
            "One item a line: «title», or «day | time | title» with the day as YYYY-MM-DD "
            "(e.g. «2008-05-10 | 09:00-10:00 | Apertura»)."
        ),
    )
    documents = forms.ModelMultipleChoiceField(
        label=_("Documents"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Minutes, reports: documents published in the knowledge centre."),
    )
    source_ref = forms.CharField(label=_("Source reference"), max_length=500, required=False)
    note = _text(_("Note"), rows=2)
    version = _version()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].queryset = Country.objects.all()
        self.fields["documents"].queryset = Document.objects.published().order_by(
            "-published_on", "title"
        )
        for kind, label in ParticipantKind.choices:
            self.fields[f"count_{kind}"] = forms.IntegerField(
                label=label, required=False, min_value=0
            )
        _style(self)

    def clean_agenda(self):
        return parse_agenda(self.cleaned_data.get("agenda", ""))

    def participation_fields(self):
        return [self[f"count_{kind}"] for kind in ParticipantKind.values]

    def main_fields(self):
        return [f for f in self if not f.name.startswith("count_")]

    def counts(self) -> dict[str, int]:
        """The participation counts typed, by kind (kinds left empty are absent)."""
        return {
            kind: self.cleaned_data[f"count_{kind}"]
            for kind in ParticipantKind.values
            if self.cleaned_data.get(f"count_{kind}") is not None
        }

    def counts_changed(self) -> bool:
        return any(f"count_{kind}" in self.changed_data for kind in ParticipantKind.values)

    @staticmethod
    def initial_for(meeting) -> dict:
        initial = {
            name: getattr(meeting, name)
            for name in (
                "name",
                "number",
                "kind",
                "status",
                "starts_on",
                "ends_on",
                "place",
                "is_virtual",
                "total_participants",
                "source_ref",
                "note",
                "version",
            )
        }
        initial["country"] = meeting.country_id
        initial["agenda"] = agenda_text(meeting.agenda.all())
        initial["documents"] = [d.pk for d in meeting.documents.all()]
        for row in meeting.participation.all():
            if row.organization_id is None:
                initial[f"count_{row.kind}"] = row.count
        return initial


# ---------------------------------------------------------------- bodies


class BodyForm(BootstrapForm):
    key = forms.SlugField(
        label=_("Key"),
        max_length=80,
        help_text=_("Its address: lower case, digits and hyphens (e.g. «grupo-pymes»)."),
    )
    name = forms.CharField(label=_("Name"), max_length=300)
    acronym = forms.CharField(label=_("Acronym"), max_length=40, required=False)
    kind = _choice(_("Kind"), BodyKind.choices, initial=BodyKind.WORKING_GROUP)
    scope = _choice(_("Scope"), Scope.choices, initial=Scope.REGION)
    country = forms.ModelChoiceField(label=_("Country"), queryset=None, required=False)
    subregion = forms.ModelChoiceField(label=_("Subregion"), queryset=None, required=False)
    subdivision = forms.CharField(
        label=_("First-level subdivision"),
        max_length=12,
        required=False,
        help_text=_("Its ISO 3166-2 code (e.g. «CL-RM»), for a regional committee."),
    )
    host = forms.ModelChoiceField(label=_("Hosted by"), queryset=None, required=False)
    status = _choice(_("Status"), BodyStatus.choices, initial=BodyStatus.ACTIVE)
    founding_act = _text(_("Founding act"), rows=3, help_text=_("Verbatim."))
    founded_on = _date(_("Founded on"), required=False)
    active_from = _date(_("Active from"), required=False)
    active_until = _date(_("Active until"), required=False)
    description = _text(_("Description"), rows=3)
    source_ref = forms.CharField(label=_("Source reference"), max_length=500, required=False)
    note = _text(_("Note"), rows=2)
    version = _version()

    MODEL_FIELDS = (
        "name",
        "acronym",
        "kind",
        "scope",
        "country",
        "subregion",
        "host",
        "status",
        "founding_act",
        "founded_on",
        "active_from",
        "active_until",
        "description",
        "source_ref",
        "note",
    )

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["key"]  # addresses stay
        self.fields["country"].queryset = Country.objects.all()
        self.fields["subregion"].queryset = Subregion.objects.all()
        self.fields["host"].queryset = _organizations()
        _style(self)

    def clean_subdivision(self):
        code = self.cleaned_data.get("subdivision", "").strip().upper()
        if not code:
            return None
        subdivision = Subdivision.objects.filter(code=code).first()
        if subdivision is None:
            raise forms.ValidationError(
                _("«%(code)s» is not an ISO 3166-2 subdivision."),
                code="subdivision",
                params={"code": code},
            )
        return subdivision

    @classmethod
    def initial_for(cls, body) -> dict:
        initial = {name: getattr(body, name) for name in cls.MODEL_FIELDS}
        for name in ("country", "subregion", "host"):
            initial[name] = getattr(body, f"{name}_id")
        initial["subdivision"] = body.subdivision_id or ""
        initial["version"] = body.version
        return initial


# ---------------------------------------------------------------- decisions and commitments


class DecisionForm(BootstrapForm):
    kind = _choice(_("Kind"), DecisionKind.choices, initial=DecisionKind.AGREEMENT)
    number = forms.CharField(
        label=_("Number or letter"), max_length=20, help_text=_("As the source numbers it.")
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, required=False)
    text = _text(_("Text"), rows=5, help_text=_("Verbatim."))
    addressed_to = forms.ModelChoiceField(
        label=_("Addressed to"),
        queryset=None,
        required=False,
        help_text=_("For a recommendation to another body."),
    )
    source_ref = forms.CharField(label=_("Source reference"), max_length=500, required=False)
    note = _text(_("Note"), rows=2)
    version = _version()

    FIELDS = ("kind", "number", "position", "text", "addressed_to", "source_ref", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["addressed_to"].queryset = _bodies()


class CommitmentForm(BootstrapForm):
    title = _text(_("Commitment"), rows=2, required=True)
    decision = forms.ModelChoiceField(
        label=_("Decided by"),
        queryset=None,
        required=False,
        help_text=_("Empty: a commitment recorded by hand."),
    )
    responsible_organizations = forms.ModelMultipleChoiceField(
        label=_("Responsible organizations"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    responsible_body = forms.ModelChoiceField(
        label=_("Responsible body"), queryset=None, required=False
    )
    rule = _choice(_("How it is met"), Rule.choices, initial=Rule.REPORTED)
    status = _choice(_("Status"), CommitmentStatus.choices, initial=CommitmentStatus.OPEN)
    starts_on = _date(_("Counted from"), required=False)
    due_on = _date(_("Due on"), required=False)
    every_months = forms.IntegerField(
        label=_("Every (months)"),
        required=False,
        min_value=1,
        help_text=_("Empty: once, by the due date."),
    )
    ends_on = _date(_("Ends on"), required=False)
    tracked_body = forms.ModelChoiceField(
        label=_("Body whose meetings count"),
        queryset=None,
        required=False,
        help_text=_("For a commitment met by meetings."),
    )
    meeting_kinds = forms.MultipleChoiceField(
        label=_("Meeting kinds that count"),
        choices=MeetingKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any kind."),
    )
    recurrence_text = forms.CharField(
        label=_("Recurrence as the source says it"), max_length=200, required=False
    )
    reading = _text(_("Reading of the text"), rows=3)
    links = _text(
        _("Plan nodes and indicators it serves"),
        rows=3,
        help_text=_(
            "One a line: the plan's key and an indicator's or a node's code "
            "(e.g. «pa-pml-plan-accion: 1.1.1»)."
        ),
    )
    source_ref = forms.CharField(label=_("Source reference"), max_length=500, required=False)
    version = _version()

    def __init__(self, *args, decisions, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["decision"].queryset = decisions
        self.fields["decision"].label_from_instance = lambda d: f"{d.meeting.name} — {d}"
        self.fields["responsible_organizations"].queryset = _organizations()
        self.fields["responsible_body"].queryset = _bodies()
        self.fields["tracked_body"].queryset = _bodies()
        _style(self)

    def clean_links(self):
        return parse_links(self.cleaned_data.get("links", ""), self.user)

    MODEL_FIELDS = (
        "title",
        "decision",
        "responsible_body",
        "rule",
        "status",
        "starts_on",
        "due_on",
        "every_months",
        "ends_on",
        "tracked_body",
        "meeting_kinds",
        "recurrence_text",
        "reading",
        "source_ref",
    )

    @classmethod
    def initial_for(cls, commitment) -> dict:
        initial = {name: getattr(commitment, name) for name in cls.MODEL_FIELDS}
        initial["decision"] = commitment.decision_id
        initial["responsible_body"] = commitment.responsible_body_id
        initial["tracked_body"] = commitment.tracked_body_id
        initial["responsible_organizations"] = [
            o.pk for o in commitment.responsible_organizations.all()
        ]
        initial["links"] = links_text(commitment)
        initial["version"] = commitment.version
        return initial


# ---------------------------------------------------------------- memberships and focal points


class MembershipForm(BootstrapForm):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    role = _choice(_("Role"), Role.choices, initial=Role.MEMBER)
    seat = forms.CharField(
        label=_("Seat"),
        max_length=200,
        required=False,
        help_text=_("What the member sits for, e.g. a subregion («Subregión Mesoamérica»)."),
    )
    subregion = forms.ModelChoiceField(label=_("Subregion"), queryset=None, required=False)
    term_from = _date(_("Term from"), required=False)
    term_to = _date(_("Term to"), required=False)
    status_note = forms.CharField(
        label=_("Status note"), max_length=200, required=False, help_text=_("e.g. «Ad referéndum»")
    )
    elected_at = forms.ModelChoiceField(label=_("Elected at"), queryset=None, required=False)
    source_ref = forms.CharField(label=_("Source reference"), max_length=500, required=False)
    note = _text(_("Note"), rows=2)

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = _organizations()
        self.fields["subregion"].queryset = Subregion.objects.all()
        self.fields["elected_at"].queryset = meetings


class MembershipEndForm(BootstrapForm):
    on = _date(_("Term ends on"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=100, required=False)


class FocalPointForm(BootstrapForm):
    country = forms.ModelChoiceField(label=_("Country"), queryset=None)
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    unit = forms.CharField(label=_("Unit"), max_length=300, required=False)
    position = forms.CharField(label=_("Position"), max_length=200, initial="Punto Focal CPS")
    person_name = forms.CharField(
        label=_("Person's name"),
        max_length=200,
        required=False,
        help_text=_("Only with the person's consent, recorded below."),
    )
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)
    consent_on = _date(
        _("Consent recorded on"),
        required=False,
        help_text=_("The person agreed on this date that their name and contact are shown."),
    )
    source_ref = forms.CharField(label=_("Source reference"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].queryset = Country.objects.all()
        self.fields["organization"].queryset = _organizations()


# ---------------------------------------------------------------- commitment updates

SAVE_DRAFT, SUBMIT = "draft", "submit"


class UpdateForm(BootstrapForm):
    organization = forms.ModelChoiceField(
        label=_("Reporting for"), queryset=None, required=False, empty_label="—"
    )
    date = _date(_("Date"), initial=timezone.localdate)
    reported_status = _choice(
        _("Status reported"), CommitmentStatus.choices, initial=CommitmentStatus.IN_PROGRESS
    )
    text = _text(_("Progress"), rows=5, help_text=_("What was done, and what remains."))
    evidence_url = forms.URLField(
        label=_("Evidence (link)"), required=False, max_length=200, assume_scheme="https"
    )
    version = _version()

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        _style(self)

    @staticmethod
    def initial_for(update) -> dict:
        return {
            "organization": update.organization_id,
            "date": update.date,
            "reported_status": update.reported_status,
            "text": update.text,
            "evidence_url": update.evidence_url,
            "version": update.version,
        }


class ReturnForm(BootstrapForm):
    comment = _text(
        _("Why it is returned"), rows=3, help_text=_("What to correct, for the organization.")
    )
