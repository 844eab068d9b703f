"""The public registry of auditors and specialists: applications, validity, conflicts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from limpia.core.fields import PortableDecimalField
from limpia.core.models import Country, Sector
from limpia.core.tracking import tracked_history


class ExpertKind(models.TextChoices):
    AUDITOR = "auditor", _("APL auditor")
    SPECIALIST = "specialist", _("Cleaner production specialist")


class ExpertQuerySet(models.QuerySet):
    def registered_on(self, day):
        return self.filter(registered_from__lte=day).filter(
            Q(registered_until__isnull=True) | Q(registered_until__gte=day)
        )

    def public_list(self, day):
        return self.registered_on(day).prefetch_related("specialities").order_by("name")


class Expert(models.Model):
    """An auditor or specialist; `auditor_id` is the registry's own identifier."""

    auditor_id = models.CharField(_("registry identifier"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ExpertKind.choices)
    name = models.CharField(_("name"), max_length=200)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="expert",
        verbose_name=_("user account"),
    )
    specialities = models.ManyToManyField(Sector, blank=True, verbose_name=_("specialities"))
    registered_from = models.DateField(_("registered from"), null=True, blank=True)
    registered_until = models.DateField(_("registered until"), null=True, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = tracked_history(m2m_fields=[specialities])

    objects = ExpertQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("registered expert")
        verbose_name_plural = _("registered experts")

    def __str__(self) -> str:
        return f"{self.name} ({self.auditor_id})"

    def is_registered_on(self, day) -> bool:
        return bool(
            self.registered_from
            and self.registered_from <= day
            and (self.registered_until is None or day <= self.registered_until)
        )


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    RECOMMENDED = "recommended", _("Recommended")
    OBSERVED = "observed", _("With observations")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


class Application(models.Model):
    """An application to be registered (or renewed) as auditor or specialist."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="applications")
    is_renewal = models.BooleanField(_("renewal"), default=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
    )
    submitted_on = models.DateField(_("submitted on"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    observations = models.TextField(_("observations"), blank=True)
    history = tracked_history()

    class Meta:
        ordering = ["-submitted_on", "-id"]
        verbose_name = _("registry application")
        verbose_name_plural = _("registry applications")

    def __str__(self) -> str:
        return f"{self.expert} — {self.get_status_display()}"


class Training(models.Model):
    """Continuing training an expert reports to keep the registration."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="trainings")
    title = models.CharField(_("title"), max_length=300)
    completed_on = models.DateField(_("completed on"))
    hours = PortableDecimalField(_("hours"), max_digits=6, decimal_places=1)

    class Meta:
        ordering = ["-completed_on"]
        verbose_name = _("training")
        verbose_name_plural = _("trainings")

    def __str__(self) -> str:
        return self.title


class RelationKind(models.TextChoices):
    EMPLOYMENT = "employment", _("Employment")
    CONSULTING = "consulting", _("Consulting")
    OWNERSHIP = "ownership", _("Ownership")
    FAMILY = "family", _("Family relation")


class Relation(models.Model):
    """A declared relation with a company: it bars the expert from auditing that company."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="relations")
    company = models.ForeignKey(
        "agreements.Company", on_delete=models.CASCADE, related_name="expert_relations"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RelationKind.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("declared relation")
        verbose_name_plural = _("declared relations")

    def __str__(self) -> str:
        return f"{self.expert_id} – {self.company_id} ({self.kind})"

    def overlaps(self, day) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)
