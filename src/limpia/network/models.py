"""The network: councils, committees, round tables and secretariats (bodies), who sits in them
(memberships) and speaks for each country (focal points), their meetings with agenda and
participation, what the meetings decided, and the commitments that follow, with their progress
updates reviewed like measurements.

Whether a commitment is late, and whether a body operates, is computed from dates and meeting
records by the pure module limpia.schedule (queries.py reads the rows); nothing of it is typed.
docs/network.md explains the model and the readings chosen for the source texts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from limpia.core.models import Country, Organization, Subdivision, Subregion
from limpia.core.tracking import tracked_history


class BodyKind(models.TextChoices):
    COUNCIL = "council", _("Council")
    STEERING_COMMITTEE = "steering_committee", _("Steering committee")
    REGIONAL_COMMITTEE = "regional_committee", _("Regional committee")
    ROUND_TABLE = "round_table", _("Round table")
    SECRETARIAT = "secretariat", _("Secretariat")
    WORKING_GROUP = "working_group", _("Working group")
    FORUM = "forum", _("Forum")


class Scope(models.TextChoices):
    REGION = "region", _("Region (Latin America and the Caribbean)")
    SUBREGION = "subregion", _("Subregion")
    COUNTRY = "country", _("Country")
    SUBDIVISION = "subdivision", _("First-level subdivision")


class BodyStatus(models.TextChoices):
    PROPOSED = "proposed", _("To be established")
    ACTIVE = "active", _("Established")
    DISSOLVED = "dissolved", _("Dissolved")


class BodyQuerySet(models.QuerySet):
    def for_listing(self):
        return self.select_related("country", "subregion", "subdivision", "parent", "host")


class Body(models.Model):
    """A council, committee, round table, secretariat, working group or forum."""

    key = models.SlugField(_("key"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=BodyKind.choices)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subregion = models.ForeignKey(
        Subregion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subdivision = models.ForeignKey(
        Subdivision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent body"),
    )
    host = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_bodies",
        verbose_name=_("hosting organization"),
    )
    organization = models.OneToOneField(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="body",
        verbose_name=_("the body as an organization"),
        help_text=_("The organization record plans name when this body is responsible."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BodyStatus.choices, default=BodyStatus.ACTIVE
    )
    founding_act = models.TextField(_("founding act"), blank=True)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_until = models.DateField(_("active until"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    history = tracked_history()

    objects = BodyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("body")
        verbose_name_plural = _("bodies")
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                name="body_active_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.acronym or self.name


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    COORDINATOR = "coordinator", _("Coordinator")
    TITULAR = "titular", _("Titular")
    ALTERNATE = "alternate", _("Alternate")
    CHAIR = "chair", _("Chair")
    SECRETARIAT = "secretariat", _("Secretariat")
    OBSERVER = "observer", _("Observer")


class Membership(models.Model):
    """An organization's seat in a body for a term."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    seat = models.CharField(
        _("seat"),
        max_length=200,
        blank=True,
        help_text=_("What the member sits for, e.g. a subregion («Subregión Mesoamérica»)."),
    )
    subregion = models.ForeignKey(
        Subregion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    term_from = models.DateField(_("term from"), null=True, blank=True)
    term_to = models.DateField(_("term to"), null=True, blank=True)
    status_note = models.CharField(
        _("status note"), max_length=200, blank=True, help_text=_("e.g. «Ad referéndum»")
    )
    elected_at = models.ForeignKey(
        "Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="elections",
        verbose_name=_("elected at"),
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = tracked_history()

    class Meta:
        ordering = ["body_id", "-term_from", "seat", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(term_to__isnull=True)
                | Q(term_from__isnull=True)
                | Q(term_to__gte=models.F("term_from")),
                name="membership_term_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} — {self.get_role_display()} — {self.body}"

    def current_on(self, day) -> bool:
        return (self.term_from is None or self.term_from <= day) and (
            self.term_to is None or day <= self.term_to
        )


class FocalPoint(models.Model):
    """The organization and position that speak for a country in a body ("Punto Focal CPS").
    A person's name and contact are kept only with consent recorded, and never shown publicly
    without it."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="focal_points")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="focal_points"
    )
    unit = models.CharField(_("unit"), max_length=300, blank=True)
    position = models.CharField(_("position"), max_length=200, default="Punto Focal CPS")
    person_name = models.CharField(_("person's name"), max_length=200, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    consent_on = models.DateField(
        _("consent recorded on"),
        null=True,
        blank=True,
        help_text=_("The person agreed on this date that their name and contact are shown."),
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = tracked_history()

    class Meta:
        ordering = ["body_id", "country_id"]
        verbose_name = _("focal point")
        verbose_name_plural = _("focal points")
        constraints = [
            models.UniqueConstraint(fields=["body", "country"], name="focal_point_per_country"),
            models.CheckConstraint(
                condition=Q(consent_on__isnull=False) | (Q(person_name="") & Q(contact="")),
                name="focal_point_person_only_with_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position} — {self.organization} ({self.country_id})"


class MeetingKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    EXTENDED = "extended", _("Extended")
    SUBREGIONAL = "subregional", _("Subregional")
    VIRTUAL = "virtual", _("Virtual")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingQuerySet(models.QuerySet):
    def held(self):
        return self.filter(status=MeetingStatus.HELD)


class Meeting(models.Model):
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="meetings")
    key = models.SlugField(
        _("key"), max_length=80, blank=True, help_text=_("Stable name in the source data files.")
    )
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=12, choices=MeetingKind.choices, default=MeetingKind.ORDINARY
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.HELD
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_virtual = models.BooleanField(_("virtual"), default=False)
    total_participants = models.PositiveIntegerField(
        _("participants in all"), null=True, blank=True
    )
    documents = models.ManyToManyField(
        "knowledge.Document", blank=True, related_name="meetings", verbose_name=_("documents")
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = tracked_history()

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="meeting_dates_in_order"
            ),
            models.UniqueConstraint(
                fields=["body", "number"],
                condition=Q(number__isnull=False),
                name="meeting_number_unique_per_body",
            ),
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="meeting_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y})"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveIntegerField(_("position"), default=0)
    day = models.DateField(_("day"), null=True, blank=True)
    time = models.CharField(_("time"), max_length=40, blank=True)
    title = models.TextField(_("title"))
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)

    class Meta:
        ordering = ["meeting_id", "position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self) -> str:
        return self.title[:80]


class ParticipantKind(models.TextChoices):
    GOVERNMENT = "government", _("Governments (countries)")
    NGO = "ngo", _("Non-governmental organizations")
    CP_CENTRE = "cp_centre", _("National cleaner production centres")
    BUSINESS_UNION = "business_union", _("Business and unions")
    ACADEMIA = "academia", _("Academia and research centres")
    BANK_COOPERATION = "bank_cooperation", _("Regional banks and cooperation agencies")
    LOCAL = "local", _("Local organizations")
    INTERNATIONAL = "international", _("International agencies")
    OTHER = "other", _("Others")


class Participation(models.Model):
    """Who took part in a meeting: a count by kind of participant, or one organization."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participation")
    kind = models.CharField(_("kind"), max_length=20, choices=ParticipantKind.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField(_("count"))
    text = models.CharField(
        _("as the source says it"), max_length=300, blank=True, help_text=_("«12 ONG de 6 países»")
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)

    class Meta:
        ordering = ["meeting_id", "id"]
        verbose_name = _("participation")
        verbose_name_plural = _("participation")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "kind"],
                condition=Q(organization__isnull=True),
                name="participation_count_once_per_kind",
            ),
            models.UniqueConstraint(
                fields=["meeting", "organization"],
                condition=Q(organization__isnull=False),
                name="participation_once_per_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.count}"


class DecisionKind(models.TextChoices):
    AGREEMENT = "agreement", _("Agreement")
    ELECTION = "election", _("Election")
    RECOMMENDATION = "recommendation", _("Recommendation")
    CONCLUSION = "conclusion", _("Conclusion")


class Decision(models.Model):
    """What a meeting agreed, elected, recommended or concluded, verbatim."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    number = models.CharField(_("number or letter"), max_length=20)
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=DecisionKind.choices)
    text = models.TextField(_("text"))
    addressed_to = models.ForeignKey(
        Body,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations_received",
        verbose_name=_("addressed to"),
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = tracked_history()

    class Meta:
        ordering = ["meeting_id", "position", "id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "kind", "number"], name="decision_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}) {self.text[:80]}"


class Rule(models.TextChoices):
    REPORTED = "reported", _("Reported: its status comes from reviewed updates")
    MEETINGS = "meetings", _("Met by meetings: computed from the body's meeting records")


class CommitmentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Commitment(models.Model):
    """Something a body or organizations committed to, by a date or over and over.

    A *reported* commitment's status moves with the updates its responsible organizations
    submit and the body's secretariat approves; a *meetings* commitment is met or missed from
    the meetings of `tracked_body` (of `meeting_kinds`, empty: any), every `every_months`
    months from `starts_on`, or once between `starts_on` and `due_on`."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="commitments")
    decision = models.ForeignKey(
        Decision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
    )
    title = models.TextField(_("commitment"))
    responsible_organizations = models.ManyToManyField(
        Organization, blank=True, related_name="commitments"
    )
    responsible_body = models.ForeignKey(
        Body,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments_responsible",
        verbose_name=_("responsible body"),
    )
    rule = models.CharField(_("how it is met"), max_length=10, choices=Rule.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.OPEN,
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    starts_on = models.DateField(_("counted from"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    every_months = models.PositiveIntegerField(
        _("every (months)"), null=True, blank=True, help_text=_("Empty: once.")
    )
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    tracked_body = models.ForeignKey(
        Body,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("body whose meetings count"),
    )
    meeting_kinds = models.JSONField(_("meeting kinds that count"), default=list, blank=True)
    recurrence_text = models.CharField(
        _("recurrence as the source says it"), max_length=200, blank=True
    )
    reading = models.TextField(_("reading of the text"), blank=True)
    nodes = models.ManyToManyField("plans.Node", blank=True, related_name="commitments")
    indicators = models.ManyToManyField("plans.Indicator", blank=True, related_name="commitments")
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = tracked_history(m2m_fields=[responsible_organizations])

    class Meta:
        ordering = ["body_id", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=Q(rule="reported")
                | Q(tracked_body__isnull=False, starts_on__isnull=False),
                name="commitment_meetings_rule_complete",
            ),
            models.CheckConstraint(
                condition=Q(every_months__isnull=True) | Q(every_months__gte=1),
                name="commitment_period_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title[:80]


class UpdateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class CommitmentUpdate(models.Model):
    """A responsible organization's report on a commitment; approved by the body's secretariat,
    it sets the commitment's status."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="updates")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    date = models.DateField(_("date"))
    reported_status = models.CharField(
        _("status reported"), max_length=12, choices=CommitmentStatus.choices
    )
    text = models.TextField(_("progress"))
    evidence_url = models.URLField(_("evidence (link)"), blank=True)
    evidence = models.ForeignKey(
        "knowledge.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence (document)"),
    )
    status = models.CharField(
        _("review status"), max_length=10, choices=UpdateStatus.choices, default="draft"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = tracked_history()

    class Meta:
        ordering = ["commitment_id", "-date", "-id"]
        verbose_name = _("commitment update")
        verbose_name_plural = _("commitment updates")

    def __str__(self) -> str:
        return f"{self.commitment} — {self.date} — {self.get_status_display()}"
