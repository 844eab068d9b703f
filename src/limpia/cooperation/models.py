"""Cooperation: needs matched with offers («reunir necesidades con capacidades», IV meeting,
para 63).

- Programme proposals (the IV meeting's Cuadro I, para 70's programme areas, para 72's common
  priority areas) and Annex V's guiding questions, transcribed verbatim: what needs and offers
  are tagged with.
- Needs: what a government body, a subregion or an organization needs (training, technical
  assistance, information, technology transfer, financing), for which plan node. The
  cooperation column of the source plans («Recursos de cooperación») is loaded as needs linked
  to their nodes.
- Offers: what a provider (an agency, a cleaner production centre, a university, a company, an
  expert) can give, of which kind, on which themes and sectors, where.

docs/cooperation.md describes the model and how it was transcribed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from limpia.core.models import Country, Organization, Sector, Subregion
from limpia.core.tracking import tracked_history
from limpia.knowledge.models import Language  # the knowledge centre's three languages
from limpia.plans.models import Horizon


class Kind(models.TextChoices):
    """What is needed or offered: para 70's programme areas."""

    TRAINING = "training", _("Training")
    TECHNICAL_ASSISTANCE = "technical_assistance", _("Technical assistance")
    INFORMATION = "information", _("Information")
    TECHNOLOGY_TRANSFER = "technology_transfer", _("Technology transfer")
    FINANCING = "financing", _("Financing")


class ProgrammeKind(models.TextChoices):
    COMMON = "common", _("Common programme (Cuadro I)")
    NEW = "new", _("New proposal of a group (Cuadro I)")
    AREA = "area", _("Programme area (para 70)")
    PRIORITY = "priority", _("Common priority area (para 72)")


class Programme(models.Model):
    """A programme proposal of the IV meeting, verbatim, that needs and offers are tagged with."""

    key = models.SlugField(_("key"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ProgrammeKind.choices)
    label = models.CharField(_("label"), max_length=300)
    text = models.TextField(_("text"), blank=True)
    wording = models.JSONField(
        _("wordings"),
        default=dict,
        blank=True,
        help_text=_(
            "Its wordings, verbatim: by working group (Cuadro I; an empty string is a blank "
            "cell) or by where the report restates it (Annex I)."
        ),
    )
    subregion = models.ForeignKey(
        Subregion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The group that proposed it (a new proposal)."),
    )
    area = models.CharField(
        _("programme area"),
        max_length=24,
        choices=Kind.choices,
        blank=True,
        help_text=_("For a programme area: the kind of cooperation it is."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["kind", "position", "key"]
        verbose_name = _("programme proposal")
        verbose_name_plural = _("programme proposals")

    def __str__(self) -> str:
        return self.label


class GuidingQuestion(models.Model):
    """One of Annex V's guiding questions with each working group's answer, verbatim."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    text = models.TextField(_("question"))
    answers = models.JSONField(
        _("answers by group"),
        default=dict,
        blank=True,
        help_text=_("Each working group's answer, verbatim; an empty string is a blank cell."),
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("guiding question")
        verbose_name_plural = _("guiding questions")

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:80]}"


class NeedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERING = "answering", _("Being answered")
    MET = "met", _("Met")
    CLOSED_UNMET = "closed_unmet", _("Closed unmet")


class Need(models.Model):
    """What a country's government body, a subregion or an organization needs."""

    key = models.CharField(
        _("key"),
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Needs loaded from a source keep a key; needs written here have none."),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"),
        max_length=24,
        choices=Kind.choices,
        blank=True,
        help_text=_("Empty: the source does not say."),
    )
    requester = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cooperation_needs",
        verbose_name=_("who needs it"),
    )
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subregion = models.ForeignKey(
        Subregion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sector (ISIC Rev.4)"),
    )
    horizon = models.CharField(_("horizon"), max_length=10, choices=Horizon.choices, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    node = models.ForeignKey(
        "plans.Node",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cooperation_needs",
        verbose_name=_("plan node it serves"),
    )
    themes = models.ManyToManyField(Programme, blank=True, related_name="needs")
    status = models.CharField(
        _("status"), max_length=14, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = tracked_history()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("cooperation need")
        verbose_name_plural = _("cooperation needs")

    def __str__(self) -> str:
        return self.title


class Offer(models.Model):
    """What a provider can give: a capacity."""

    provider = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="cooperation_offers",
        verbose_name=_("provider"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    themes = models.ManyToManyField(Programme, blank=True, related_name="offers")
    sectors = models.ManyToManyField(
        Sector, blank=True, related_name="+", verbose_name=_("sectors (ISIC Rev.4)")
    )
    countries = models.ManyToManyField(
        Country,
        blank=True,
        related_name="+",
        verbose_name=_("countries served"),
        help_text=_("None: any country."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    terms = models.TextField(
        _("terms"),
        blank=True,
        editable=False,
        help_text=_("The stems of its title and description, as the score reads them."),
    )
    source_ref = models.CharField(_("source reference"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = tracked_history()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("cooperation offer")
        verbose_name_plural = _("cooperation offers")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="offer_validity_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title
