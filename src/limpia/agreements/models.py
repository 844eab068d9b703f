"""Clean Production Agreements (APL): lifecycle, goals and actions, companies and facilities,
adhesions, follow-up, audits item by item, certificates, impacts."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from limpia.compliance import sort_key
from limpia.core.fields import PortableDecimalField
from limpia.core.models import Country, Organization, Sector, Subdivision
from limpia.core.tracking import tracked_history

User = settings.AUTH_USER_MODEL


class Stage(models.TextChoices):
    INTEREST = "interest", _("Expression of interest")
    ADMISSIBILITY = "admissibility", _("Admissibility")
    DIAGNOSIS = "diagnosis", _("Diagnosis")
    NEGOTIATION = "negotiation", _("Negotiation")
    SIGNED = "signed", _("Signed")
    ADHESION = "adhesion", _("Adhesion window")
    IMPLEMENTATION = "implementation", _("Implementation")
    FINAL_EVALUATION = "final_evaluation", _("Final evaluation")
    CERTIFICATION = "certification", _("Certification")
    IMPACT_EVALUATION = "impact_evaluation", _("Impact evaluation")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# What a search for a facility looks in: its code and name, its company's name and tax identifier
FACILITY_SEARCH_FIELDS = ("code", "name", "company__name", "company__tax_id")


def facility_search(text: str, through: str = "facility__") -> Q:
    """Rows whose facility matches `text` in any of FACILITY_SEARCH_FIELDS (case-insensitive);
    `through` is the lookup path from the rows to the facility."""
    condition = Q()
    for field in FACILITY_SEARCH_FIELDS:
        condition |= Q(**{f"{through}{field}__icontains": text})
    return condition


class AgreementQuerySet(models.QuerySet):
    def published(self):
        """What the public sees: agreements from signature on, and closed ones."""
        return self.exclude(
            stage__in=[Stage.INTEREST, Stage.ADMISSIBILITY, Stage.DIAGNOSIS, Stage.NEGOTIATION]
        )

    def for_listing(self):
        return self.select_related("country").prefetch_related("sectors", "subdivisions")

    def with_facility_counts(self, today: dt.date):
        """`adhered_facilities` (not withdrawn) and `certified_facilities`: certificates not
        revoked and not expired on `today` (a suspended one still counts: it can be restored).

        Each is a correlated COUNT subquery: joining adhesions and certificates in one GROUP BY
        would count their product (millions of rows for a large agreement)."""
        in_force = Q(valid_until__gte=today) & (
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=today)
        )
        return self.annotate(
            adhered_facilities=_count(
                Adhesion.objects.filter(withdrawn_on__isnull=True), "facility_id"
            ),
            certified_facilities=_count(Certificate.objects.filter(in_force), "facility_id"),
        )


def _count(queryset, column: str):
    """COUNT(DISTINCT column) of the agreement's rows in `queryset`, as a subquery."""
    counted = (
        queryset.filter(agreement=models.OuterRef("pk"))
        .order_by()
        .values("agreement")
        .annotate(n=models.Count(column, distinct=True))
        .values("n")
    )
    return Coalesce(models.Subquery(counted, output_field=models.IntegerField()), 0)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def fraction_field(verbose, default):
    return PortableDecimalField(
        verbose,
        max_digits=5,
        decimal_places=4,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )


class Agreement(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=400)
    description = models.TextField(_("description"), blank=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="agreements")
    sectors = models.ManyToManyField(Sector, blank=True, verbose_name=_("sectors (ISIC)"))
    is_national = models.BooleanField(_("national territory"), default=True)
    subdivisions = models.ManyToManyField(
        Subdivision, blank=True, verbose_name=_("territory (subdivisions)")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default="interest")
    signing_date = models.DateField(_("signing date"), null=True, blank=True)
    adhesion_days = models.PositiveIntegerField(_("adhesion window (days)"), default=90)
    duration_months = models.PositiveIntegerField(_("implementation (months)"), default=18)
    implementation_end_override = models.DateField(
        _("implementation end (extended)"), null=True, blank=True
    )
    # Certification settings (NCh2807 practice), per agreement.
    correction_above = fraction_field(_("correction allowed above"), "0.75")
    correction_days = models.PositiveIntegerField(_("correction deadline (days)"), default=90)
    objection_days = models.PositiveIntegerField(
        _("regulators' objection window (days)"), default=90
    )
    silence_is_consent = models.BooleanField(_("silence counts as no objection"), default=True)
    validity_years = models.PositiveIntegerField(_("certificate validity (years)"), default=3)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = tracked_history(m2m_fields=[sectors, subdivisions])

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-signing_date", "code"]
        verbose_name = _("clean production agreement")
        verbose_name_plural = _("clean production agreements")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def adhesion_end(self) -> dt.date | None:
        if not self.signing_date:
            return None
        return self.signing_date + dt.timedelta(days=self.adhesion_days)

    @property
    def implementation_end(self) -> dt.date | None:
        if self.implementation_end_override:
            return self.implementation_end_override
        if not self.adhesion_end:
            return None
        return add_months(self.adhesion_end, self.duration_months)


class StageChange(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    comment = models.TextField(_("comment"), blank=True)
    imported = models.BooleanField(_("imported"), default=False)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.from_stage} → {self.to_stage}"


class Extension(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="extensions")
    previous_end = models.DateField(_("previous end"))
    new_end = models.DateField(_("new end"))
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"))
    granted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["granted_at"]
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.previous_end} → {self.new_end}"


class SignatoryRole(models.TextChoices):
    BUSINESS_ASSOCIATION = "business_association", _("Business association")
    PUBLIC_BODY = "public_body", _("Public body")
    REGULATOR = "regulator", _("Regulator / enforcement service")
    FUNDING_AGENCY = "funding_agency", _("Funding agency")


class Signatory(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=24, choices=SignatoryRole.choices)
    competence = models.ManyToManyField(
        "Goal", blank=True, verbose_name=_("goals within its competence (regulators)")
    )

    class Meta:
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organization", "role"], name="signatory_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class AgreementDocument(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("link"), max_length=500)
    published_on = models.DateField(_("published on"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title


class Goal(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="goals")
    code = models.CharField(_("code"), max_length=20)
    title = models.TextField(_("title"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["agreement_id", "position", "id"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "code"], name="goal_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title[:60]}"


class Size(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "pequeña", _("Small")
    MEDIUM = "mediana", _("Medium")
    LARGE = "grande", _("Large")


SME_SIZES = (Size.MICRO, Size.SMALL, Size.MEDIUM)


class DeadlineFrom(models.TextChoices):
    SIGNING = "signing", _("from signing")
    ADHESION_END = "adhesion_end", _("from the end of the adhesion window")


class Scope(models.TextChoices):
    ORGANIZATION = "organization", _("Organization")
    FACILITY = "facility", _("Facility")
    EQUIPMENT = "equipment", _("Equipment")
    PRODUCT = "product", _("Product")


class ResponsibleParty(models.TextChoices):
    COMPANY = "company", _("Each adhered company")
    ASSOCIATION = "association", _("The business association")


class Action(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actions")
    code = models.CharField(_("code"), max_length=20)
    text = models.TextField(_("text"))
    position = models.PositiveIntegerField(default=0)
    deadline_months = models.PositiveIntegerField(_("deadline (months)"), null=True, blank=True)
    deadline_from = models.CharField(
        _("counted"), max_length=14, choices=DeadlineFrom.choices, blank=True
    )
    deadline_date = models.DateField(_("deadline (date)"), null=True, blank=True)
    performance_indicator = models.TextField(_("performance indicator"), blank=True)
    verification = models.TextField(_("means of verification"), blank=True)
    scope = models.CharField(_("scope"), max_length=14, choices=Scope.choices, default="facility")
    responsible = models.CharField(
        _("responsible"), max_length=12, choices=ResponsibleParty.choices, default="company"
    )
    target_value = PortableDecimalField(
        _("target value"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    target_unit = models.CharField(_("target unit"), max_length=40, blank=True)
    applies_to_sizes = models.JSONField(
        _("applies to company sizes"),
        default=list,
        blank=True,
        help_text=_("Empty means every size."),
    )

    class Meta:
        ordering = ["goal_id", "position", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        constraints = [models.UniqueConstraint(fields=["goal", "code"], name="action_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:60]}"

    def applies_to(self, size: str) -> bool:
        return not self.applies_to_sizes or size in self.applies_to_sizes

    def deadline(self, agreement: Agreement) -> dt.date | None:
        if self.deadline_date:
            return self.deadline_date
        if self.deadline_months is None:
            return None
        start = (
            agreement.signing_date if self.deadline_from == "signing" else agreement.adhesion_end
        )
        return add_months(start, self.deadline_months) if start else None


class NaturalOrderQuerySet(models.QuerySet):
    """Writes the natural-order key of the rows it creates or updates in bulk."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.fill_sort_key()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if self.model.natural_order_of in fields:
            for obj in objs:
                obj.fill_sort_key()
            fields = [*fields, "sort_key"]
        return super().bulk_update(objs, fields, *args, **kwargs)


class NaturalOrder(models.Model):
    """A model the database can list in the natural order of one of its codes ("F-2" before
    "F-10", as every report orders them): `sort_key` holds `compliance.sort_key` of the code,
    written by save() and by the bulk paths (`NaturalOrderQuerySet`); it is no part of the
    history."""

    natural_order_of = ""  # the code's field
    sort_key = models.CharField(_("natural order"), max_length=400, editable=False, default="")

    objects = NaturalOrderQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.fill_sort_key()
        fields = kwargs.get("update_fields")
        if fields is not None and self.natural_order_of in fields:
            kwargs["update_fields"] = {*fields, "sort_key"}
        super().save(*args, **kwargs)

    def fill_sort_key(self) -> None:
        self.sort_key = sort_key(getattr(self, self.natural_order_of))


class Company(NaturalOrder):
    natural_order_of = "tax_id"
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="companies")
    tax_id = models.CharField(_("tax identifier"), max_length=30)
    name = models.CharField(_("name"), max_length=300)
    size = models.CharField(_("size"), max_length=8, choices=Size.choices)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, null=True, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = tracked_history(excluded_fields=["sort_key"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(fields=["country", "tax_id"], name="company_tax_id_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Facility(NaturalOrder):
    natural_order_of = "code"
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="facilities")
    code = models.CharField(_("facility code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    subdivision = models.ForeignKey(Subdivision, on_delete=models.PROTECT, null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    history = tracked_history(excluded_fields=["sort_key"])

    class Meta:
        ordering = ["code"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Adhesion(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="adhesions")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="adhesions")
    adhered_on = models.DateField(_("adhesion date"))
    exception_reason = models.TextField(_("exception (outside the window)"), blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("withdrawal reason"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    history = tracked_history()

    class Meta:
        ordering = ["agreement_id", "facility__code"]
        verbose_name = _("adhesion")
        verbose_name_plural = _("adhesions")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "facility"], name="adhesion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facility} → {self.agreement.code}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class ReportKind(models.TextChoices):
    DIAGNOSIS = "diagnosis", _("Initial diagnosis")
    FOLLOW_UP = "follow_up", _("Follow-up report")


class ItemStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Does not apply")


class FollowUpReport(models.Model):
    adhesion = models.ForeignKey(Adhesion, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period_end = models.DateField(_("period end"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    history = tracked_history()

    class Meta:
        ordering = ["adhesion_id", "period_end"]
        verbose_name = _("follow-up report")
        verbose_name_plural = _("follow-up reports")
        constraints = [
            models.UniqueConstraint(
                fields=["adhesion", "kind", "period_end"], name="report_period_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_end}"


class FollowUpItem(models.Model):
    report = models.ForeignKey(FollowUpReport, on_delete=models.CASCADE, related_name="items")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=14, choices=ItemStatus.choices)
    evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "action"], name="report_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.status}"


class AuditType(models.TextChoices):
    INTERMEDIATE = "intermediate", _("Intermediate (follow-up) audit")
    FINAL = "final", _("Final audit")
    CORRECTION = "correction", _("Correction re-verification")
    MAINTENANCE = "maintenance", _("Maintenance audit")


class AuditStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class AuditQuerySet(models.QuerySet):
    def for_listing(self):
        return self.select_related("agreement", "facility__company", "auditor")

    def submitted(self):
        return self.filter(status=AuditStatus.SUBMITTED)

    def latest_submitted(self, audit_type: str, as_of: dt.date | None = None):
        """Each facility's latest submitted audit of the type in each agreement (the latest
        date; on the same date, the one recorded last), as one SQL query with NOT EXISTS;
        with `as_of`, among the audits dated on or before it."""
        dated = Q(audit_date__lte=as_of) if as_of else Q()
        later = Audit.objects.filter(
            dated,
            agreement=models.OuterRef("agreement"),
            facility=models.OuterRef("facility"),
            audit_type=audit_type,
            status=AuditStatus.SUBMITTED,
        ).filter(
            Q(audit_date__gt=models.OuterRef("audit_date"))
            | Q(audit_date=models.OuterRef("audit_date"), id__gt=models.OuterRef("id"))
        )
        return self.filter(dated, audit_type=audit_type, status=AuditStatus.SUBMITTED).filter(
            ~models.Exists(later)
        )

    def validated_corrections(self):
        return self.filter(
            audit_type=AuditType.CORRECTION,
            status=AuditStatus.SUBMITTED,
            validated_at__isnull=False,
        )


class Audit(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="audits")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="audits")
    auditor = models.ForeignKey("registry.Expert", on_delete=models.PROTECT, related_name="audits")
    audit_type = models.CharField(_("type"), max_length=12, choices=AuditType.choices)
    audit_date = models.DateField(_("audit date"))
    status = models.CharField(
        _("status"), max_length=10, choices=AuditStatus.choices, default=AuditStatus.OPEN
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    correction_deadline = models.DateField(_("correction deadline"), null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("re-verifies the final audit"),
    )
    validated_at = models.DateTimeField(_("validated by the coordinator at"), null=True, blank=True)
    validated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    history = tracked_history()

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["agreement_id", "facility_id", "audit_date", "id"]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")

    def __str__(self) -> str:
        return f"{self.get_audit_type_display()} {self.facility.code} {self.audit_date}"


# An item's finding as one integer, so that a re-verified item can replace it in one subquery.
DOES_NOT_APPLY, FAILS, COMPLIES = 0, 1, 2


def _finding(prefix: str = "") -> models.Case:
    return models.Case(
        models.When(Q(**{f"{prefix}applies": True, f"{prefix}complies": True}), then=COMPLIES),
        models.When(Q(**{f"{prefix}applies": True}), then=FAILS),
        default=DOES_NOT_APPLY,
        output_field=models.IntegerField(),
    )


_COUNTS = {
    "applicable": models.Count("pk", filter=Q(finding__gte=FAILS)),
    "complying": models.Count("pk", filter=Q(finding=COMPLIES)),
}


class AuditItemQuerySet(models.QuerySet):
    def with_finding(self, *, reverified: bool = False, as_of: dt.date | None = None):
        """`finding` (DOES_NOT_APPLY, FAILS or COMPLIES): the item's own, or with `reverified`
        the finding of the latest validated re-verification of the same action, when there is
        one (a correction audit replaces only the items it re-verifies); with `as_of`, among
        the re-verifications dated on or before it."""
        own = _finding()
        if not reverified:
            return self.annotate(finding=own)
        latest = (
            AuditItem.objects.filter(
                Q(audit__audit_date__lte=as_of) if as_of else Q(),
                audit__corrects=models.OuterRef("audit"),
                audit__audit_type=AuditType.CORRECTION,
                audit__status=AuditStatus.SUBMITTED,
                audit__validated_at__isnull=False,
                action=models.OuterRef("action"),
            )
            .order_by("-audit__audit_date", "-audit_id")
            .annotate(own=_finding())
            .values("own")[:1]
        )
        return self.annotate(
            finding=Coalesce(models.Subquery(latest, output_field=models.IntegerField()), own)
        )

    def counts(self):
        """`applicable` and `complying` items, over the group the queryset's values() make."""
        return self.annotate(**_COUNTS)

    def aggregate_counts(self) -> dict:
        """`applicable` and `complying` items over the whole queryset."""
        return self.aggregate(**_COUNTS)


class AuditItem(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="items")
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="audit_items")
    applies = models.BooleanField(_("applies"))
    reason = models.TextField(_("why it does not apply"), blank=True)
    complies = models.BooleanField(_("complies"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    observation = models.TextField(_("observation"), blank=True)
    version = models.PositiveIntegerField(default=1)
    history = tracked_history()

    objects = AuditItemQuerySet.as_manager()

    class Meta:
        ordering = ["audit_id", "action__goal__position", "action__position"]
        verbose_name = _("audit item")
        verbose_name_plural = _("audit items")
        constraints = [
            models.UniqueConstraint(fields=["audit", "action"], name="audit_item_unique"),
            models.CheckConstraint(
                condition=Q(applies=True, complies__isnull=False)
                | Q(applies=False, complies__isnull=True),
                name="audit_item_applies_complies",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.applies}/{self.complies}"


class FacilityTally(models.Model):
    """The settled counts of a facility's latest submitted audit of one type in an agreement.

    A materialized summary (agreements.tallies): the audit services refresh it in the same
    transaction as the audit they submit or the re-verification they validate, and the bulk
    paths (workbook import, sample and synthetic data) rebuild it for the agreements they write.
    `applicable`/`complying` are after validated re-verifications (final audits); the
    `_before` pair is the audit's own items. Never edited by hand: `limpia retally` rebuilds it.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="+")
    audit_type = models.CharField(max_length=12, choices=AuditType.choices)
    applicable = models.PositiveIntegerField()
    complying = models.PositiveIntegerField()
    applicable_before = models.PositiveIntegerField()
    complying_before = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "audit_type", "facility"], name="facility_tally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.audit_type} {self.facility_id}: {self.complying}/{self.applicable}"


class GoalTally(models.Model):
    """A facility's settled counts in one goal (present when it has items in the goal)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    audit_type = models.CharField(max_length=12, choices=AuditType.choices)
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="+")
    applicable = models.PositiveIntegerField()
    complying = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "audit_type", "facility", "goal"], name="goal_tally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.goal_id}: {self.complying}/{self.applicable}"


class ActionTally(models.Model):
    """An action over the agreement's latest audits of a type: in how many facilities it was
    audited, applies and complies (kept by difference as each facility's tally moves)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    audit_type = models.CharField(max_length=12, choices=AuditType.choices)
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    audited = models.IntegerField(default=0)
    applicable = models.IntegerField(default=0)
    complying = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "audit_type", "action"], name="action_tally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.audit_type} {self.action_id}: {self.complying}/{self.applicable}"


class Consultation(models.Model):
    """Regulators are consulted before a facility's certificate is issued."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="consultations")
    consulted_on = models.DateField(_("consulted on"))
    opened_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("regulators' consultation")
        verbose_name_plural = _("regulators' consultations")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "facility"], name="consultation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} ({self.consulted_on})"


class ConsultationAnswer(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="answers")
    signatory = models.ForeignKey(Signatory, on_delete=models.CASCADE, related_name="answers")
    answered_on = models.DateField(_("answered on"))
    objects_to = models.BooleanField(_("objects"))
    reason = models.TextField(_("reason"), blank=True)
    answered_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("regulator's answer")
        verbose_name_plural = _("regulators' answers")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "signatory"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.signatory_id}: {'objects' if self.objects_to else 'no objection'}"


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class CertificateQuerySet(models.QuerySet):
    def for_listing(self):
        return self.select_related("agreement", "facility__company", "facility__subdivision")


class Certificate(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="certificates")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="certificates")
    final_audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    # The names printed on the certificate, as they were on the day it was issued, signed with
    # the rest: a company or facility renamed later shows both names, the signature still holds.
    company_name = models.CharField(_("company name at issue"), max_length=300)
    facility_name = models.CharField(_("facility name at issue"), max_length=300)
    agreement_name = models.CharField(_("agreement name at issue"), max_length=400)
    signature = models.CharField(_("signature"), max_length=64)
    issued_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = tracked_history()

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "code"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "facility"], name="certificate_per_facility"
            )
        ]

    def __str__(self) -> str:
        return self.code


class ImpactMetric(models.TextChoices):
    WATER = "water", _("Water")
    ENERGY = "energy", _("Energy")
    WASTE = "waste", _("Waste to final disposal")
    CO2E = "emissions_co2e", _("Emissions (CO2e)")
    PM10 = "emissions_pm10", _("Emissions (PM10)")
    PRODUCTION = "production", _("Production")
    INVESTMENT = "investment", _("Investment")
    SAVINGS = "savings", _("Savings")


class Impact(models.Model):
    """A facility's yearly value of an impact metric, stored in the metric's canonical unit."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="impacts")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="impacts")
    metric = models.CharField(_("metric"), max_length=16, choices=ImpactMetric.choices)
    year = models.PositiveIntegerField(_("year"))
    is_baseline = models.BooleanField(_("baseline"), default=False)
    value = PortableDecimalField(_("value (canonical unit)"), max_digits=24, decimal_places=6)
    unit = models.CharField(_("canonical unit or currency"), max_length=20)
    entered_value = PortableDecimalField(_("value as entered"), max_digits=24, decimal_places=6)
    entered_unit = models.CharField(_("unit as entered"), max_length=20)
    history = tracked_history()

    class Meta:
        ordering = ["agreement_id", "facility_id", "metric", "year"]
        verbose_name = _("impact value")
        verbose_name_plural = _("impact values")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "facility", "metric", "year"], name="impact_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.year}: {self.value} {self.unit}"


class DashboardFigures(models.Model):
    """The national dashboard's figures on a day for one audience, stored for reuse
    (agreements.dashboard): valid while the data revision they were computed at is the
    current one; a large programme's are shown, saying when they were computed, while the job
    worker computes them at the new revision."""

    audience = models.CharField(max_length=10, help_text="public or all (administrators)")
    country = models.CharField(max_length=2, blank=True)
    as_of = models.DateField()
    revision = models.BigIntegerField(help_text="the data revision they were computed at")
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="how long computing them took")
    figures = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "country", "as_of"], name="dashboard_figures_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.audience} {self.country or '*'} {self.as_of} @{self.revision}"
