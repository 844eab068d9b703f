"""The results framework: plans → nodes (any depth) → indicators → targets and measurements."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from limpia.core.fields import PortableDecimalField
from limpia.core.models import Country, Organization, Subregion
from limpia.core.places import REGION_KEY
from limpia.core.tracking import tracked_history


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    ARCHIVED = "archived", _("Archived")


class PlanQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status=PlanStatus.APPROVED)

    def visible_to(self, user):
        from limpia.access.rules import plans_visible_to

        return plans_visible_to(user, self)

    def for_listing(self):
        return self.select_related("country", "subregion", "parent", "status_changed_by").order_by(
            "parent_id", "title"
        )


class Plan(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=500)
    short_title = models.CharField(_("short title"), max_length=120, blank=True)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="plans"
    )
    subregion = models.ForeignKey(
        Subregion, on_delete=models.PROTECT, null=True, blank=True, related_name="plans"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subplans",
        verbose_name=_("parent plan"),
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("status changed by"),
    )
    adopted_on = models.DateField(_("adopted on (per source)"), null=True, blank=True)
    adopted_by = models.CharField(_("adopted by (per source)"), max_length=300, blank=True)
    level_names = models.JSONField(_("level names"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    statements = models.JSONField(_("statements"), default=list, blank=True)
    notes = models.JSONField(_("transcription notes"), default=list, blank=True)
    source_file = models.CharField(_("source file"), max_length=200, blank=True)
    source_title = models.CharField(_("source title"), max_length=500, blank=True)
    source_publisher = models.CharField(_("source publisher"), max_length=300, blank=True)
    source_section = models.CharField(_("source section"), max_length=300, blank=True)
    is_transcription = models.BooleanField(_("transcribed from a source document"), default=False)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    history = tracked_history()

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=~Q(country__isnull=False, subregion__isnull=False),
                name="plan_one_jurisdiction",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="plan_period_order"
            ),
        ]

    def __str__(self) -> str:
        return self.short_title or self.title

    @property
    def jurisdiction(self) -> str:
        """ISO country code, subregion key, or LAC for the whole region."""
        if self.country_id:
            return self.country_id
        if self.subregion_id:
            return self.subregion.key
        return REGION_KEY

    def jurisdiction_label(self) -> str:
        if self.country_id:
            return str(self.country)
        if self.subregion_id:
            return str(self.subregion)
        return str(_("Latin America and the Caribbean"))

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period cannot end before it starts.")
        names = self.level_names
        if (
            not isinstance(names, list)
            or not all(isinstance(n, str) and 0 < len(n) <= 80 for n in names)
            or len(names) > 12
        ):
            errors["level_names"] = _(
                "Level names are a list of up to 12 names of at most 80 characters."
            )
        if self.parent_id and self.parent_id == self.pk:
            errors["parent"] = _("A plan cannot be its own parent.")
        if errors:
            raise ValidationError(errors)

    def level_name(self, depth: int) -> str:
        if not self.level_names:
            return ""
        return self.level_names[min(depth, len(self.level_names) - 1)]


MAX_TREE_DEPTH = 12


class Horizon(models.TextChoices):
    SHORT = "short", _("Short term (2 years)")
    MEDIUM = "medium", _("Medium term (5 years)")
    LONG = "long", _("Long term (10 years)")


HORIZON_YEARS = {Horizon.SHORT: 2, Horizon.MEDIUM: 5, Horizon.LONG: 10}


class ImplementationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    DELAYED = "delayed", _("Delayed")
    CANCELLED = "cancelled", _("Cancelled")
    UNKNOWN = "unknown", _("Unknown")


class NodeQuerySet(models.QuerySet):
    def in_tree_order(self):
        return self.order_by("depth", "position", "id")


class Node(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    code = models.CharField(_("code as written in the source"), max_length=40)
    normalized_code = models.CharField(_("normalized code"), max_length=40)
    level_label = models.CharField(_("level name (override)"), max_length=80, blank=True)
    title = models.TextField(_("title"))
    description = models.TextField(_("description"), blank=True)
    expected_result = models.TextField(_("expected result"), blank=True)
    responsible_text = models.TextField(_("responsible (as written)"), blank=True)
    horizon = models.CharField(_("horizon"), max_length=10, choices=Horizon.choices, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    due_text = models.CharField(_("deadline (as written)"), max_length=300, blank=True)
    resources_local = models.TextField(_("local resources"), blank=True)
    resources_cooperation = models.TextField(_("cooperation resources"), blank=True)
    implementation_status = models.CharField(
        _("implementation status"),
        max_length=12,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.UNKNOWN,
    )
    weight = PortableDecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("transcription note"), blank=True)
    organizations = models.ManyToManyField(
        Organization, through="NodeResponsibility", related_name="nodes", blank=True
    )
    history = tracked_history()

    objects = NodeQuerySet.as_manager()

    class Meta:
        ordering = ["plan_id", "depth", "position", "id"]
        verbose_name = _("plan node")
        verbose_name_plural = _("plan nodes")
        constraints = [
            models.UniqueConstraint(fields=["plan", "normalized_code"], name="node_code_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="node_weight_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title[:80]}"

    def clean(self):
        """The parent is in the same plan and not inside this node; sets the depth."""
        if self.parent_id is None:
            self.depth = 0
            return
        parent = self.parent
        if parent.plan_id != self.plan_id:
            raise ValidationError({"parent": _("The parent node belongs to another plan.")})
        ancestor, depth = parent, 1
        while ancestor is not None:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A node cannot be placed under itself.")})
            ancestor = ancestor.parent
            depth += 1
            if depth > MAX_TREE_DEPTH:
                raise ValidationError(
                    {
                        "parent": _("Plans cannot be deeper than %(n)s levels.")
                        % {"n": MAX_TREE_DEPTH}
                    }
                )
        self.depth = parent.depth + 1

    def level_name(self) -> str:
        return self.level_label or self.plan.level_name(self.depth)

    def effective_due_date(self):
        """The due date, or the plan start plus the horizon's years."""
        if self.due_date or not self.horizon:
            return self.due_date
        start = self.plan.period_start
        years = HORIZON_YEARS[Horizon(self.horizon)]
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + years, day=28)


class ResponsibilityRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    SUPPORT = "support", _("Support")


class NodeResponsibility(models.Model):
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="responsibilities")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="responsibilities"
    )
    role = models.CharField(_("role"), max_length=10, choices=ResponsibilityRole.choices)

    class Meta:
        verbose_name = _("responsible organization")
        verbose_name_plural = _("responsible organizations")
        constraints = [
            models.UniqueConstraint(fields=["node", "organization"], name="responsibility_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class IndicatorKind(models.TextChoices):
    QUANTITY = "quantity", _("Quantity")
    MILESTONE = "milestone", _("Milestone")
    QUALITATIVE = "qualitative", _("Qualitative")


class Measure(models.TextChoices):
    LEVEL = "level", _("Level (each value is the value at that date)")
    INCREMENT = "increment", _("Increment (values add up from the baseline)")


class Direction(models.TextChoices):
    INCREASE = "increase", _("Increase")
    DECREASE = "decrease", _("Decrease")


class ComputedMetric(models.TextChoices):
    AGREEMENTS_SIGNED = "agreements_signed", _("Agreements signed")
    COMPANIES_ADHERED = "companies_adhered", _("Companies adhered to agreements")
    FACILITIES_ADHERED = "facilities_adhered", _("Facilities adhered to agreements")
    COMPANIES_CERTIFIED = "companies_certified", _("Companies certified")
    FACILITIES_CERTIFIED = "facilities_certified", _("Facilities certified")
    REGIONS_WITH_COMMITTEE = (
        "regions_with_committee",
        _("Share of regions with an active regional committee (%)"),
    )
    DOCUMENTS_PUBLISHED = "documents_published", _("Documents published in the knowledge centre")
    REGIONS_OPERATING = (
        "regions_operating",
        _("Share of regions with a regional committee operating regularly (%)"),
    )
    BODIES_ESTABLISHED = "bodies_established", _("Bodies established (network)")
    MEETINGS_HELD = "meetings_held", _("Meetings held (network)")
    COMMITMENTS_ON_TIME = "commitments_on_time", _("Share of commitments done on time (%)")


class IndicatorQuerySet(models.QuerySet):
    def with_progress_data(self):
        """Everything the progress method needs, in a fixed number of queries."""
        approved = Measurement.objects.approved().totals().order_by("date", "id")
        return self.select_related("plan", "node", "organization").prefetch_related(
            models.Prefetch("targets", queryset=Target.objects.order_by("due_date", "id")),
            models.Prefetch("measurements", queryset=approved, to_attr="approved_measurements"),
        )


class Indicator(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    node = models.ForeignKey(
        Node, on_delete=models.CASCADE, null=True, blank=True, related_name="indicators"
    )
    code = models.CharField(_("code"), max_length=40)
    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.TextField(_("name"))
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=IndicatorKind.choices)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    measure = models.CharField(
        _("measure"), max_length=10, choices=Measure.choices, default=Measure.LEVEL
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )
    baseline_value = PortableDecimalField(
        _("baseline value"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    weight = PortableDecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("reporting organization"),
        help_text=_("Its reporters submit measurements; empty means the node's organizations."),
    )
    metric = models.CharField(
        _("computed from"),
        max_length=24,
        choices=ComputedMetric.choices,
        blank=True,
        help_text=_("Empty: measurements are reported by hand. Otherwise values come from data."),
    )
    metric_params = models.JSONField(
        _("metric parameters"),
        default=dict,
        blank=True,
        help_text=_("since (date), country, sizes, sector (ISIC code prefix), subdivision"),
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("transcription note"), blank=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    history = tracked_history()

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["plan_id", "position", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_unique"),
            models.CheckConstraint(
                condition=Q(weight__gte=0), name="indicator_weight_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name[:80]}"

    def clean(self):
        if self.node_id and self.node.plan_id != self.plan_id:
            raise ValidationError({"node": _("The node belongs to another plan.")})


class Target(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    # A target the source states only in words (no number, or no date) keeps its text; the
    # progress method uses targets that have both a value and a due date.
    value = PortableDecimalField(_("value"), max_digits=20, decimal_places=6, null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    text = models.TextField(_("target as written"), blank=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    history = tracked_history()

    class Meta:
        ordering = ["indicator_id", "due_date", "id"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "due_date"], name="target_date_unique"),
            models.CheckConstraint(
                condition=~Q(value__isnull=True, due_date__isnull=True, text=""),
                name="target_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} @ {self.due_date}"

    def clean(self):
        if self.value is None and self.due_date is None and not self.text.strip():
            raise ValidationError({"value": _("A target needs a value, a due date or its text.")})
        if (
            self.due_date
            and self.indicator_id
            and Target.objects.filter(indicator_id=self.indicator_id, due_date=self.due_date)
            .exclude(pk=self.pk)
            .exists()
        ):
            raise ValidationError(
                {"due_date": _("This indicator already has a target due on that date.")}
            )


class MeasurementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class MeasurementQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=MeasurementStatus.APPROVED)

    def totals(self):
        """Measurements of the whole, not of one disaggregated group."""
        return self.filter(disaggregation={})

    def awaiting_review(self):
        return self.filter(status=MeasurementStatus.SUBMITTED)

    def for_listing(self):
        return self.select_related(
            "indicator__plan", "indicator__node", "created_by", "submitted_by", "reviewed_by"
        )


class Measurement(models.Model):
    # PROTECT: deleting an indicator (or its node or plan) never silently drops measurements.
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="measurements")
    date = models.DateField(_("date"))
    value = PortableDecimalField(_("value"), max_digits=20, decimal_places=6, null=True, blank=True)
    text = models.TextField(_("reported text"), blank=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    disaggregation = models.JSONField(_("disaggregation"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MeasurementStatus.choices,
        default=MeasurementStatus.DRAFT,
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    sample_key = models.CharField(max_length=80, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(_("review note"), blank=True)
    history = tracked_history()

    objects = MeasurementQuerySet.as_manager()

    class Meta:
        ordering = ["indicator_id", "date", "id"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(
                fields=["sample_key"], condition=~Q(sample_key=""), name="measurement_sample_key"
            ),
            # One measurement of an indicator (or of one disaggregated group) per date, whatever
            # the path: the workbook's key is the same, so an export always imports back. The
            # services store a disaggregation with its keys sorted, so that SQLite, which
            # compares the JSON text, agrees with PostgreSQL, which compares the values.
            models.UniqueConstraint(
                fields=["indicator", "date", "disaggregation"], name="measurement_once_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.date}: {self.value if self.value is not None else ''}"


class PlanRollup(models.Model):
    """A plan's progress rollups on one day, stored for reuse (plans.snapshots): the plan's and
    each node's, valid while the data revision they were computed at is the current one."""

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    revision = models.BigIntegerField(help_text="the data revision they were computed at")
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="how long computing them took")
    rollups = models.JSONField()

    def __str__(self) -> str:
        return f"{self.plan_id} on {self.as_of} at revision {self.revision}"
