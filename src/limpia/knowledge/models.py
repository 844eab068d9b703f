"""The knowledge centre: guides, case studies, studies, regulations, bulletins and
presentations, with the quantified results of case studies.

A document is a stored file (PDF, Word, Excel or an image, checked by its content, see
`files.py`) or a link, never both. Only published documents are shown to the public; every
change goes through `services.py`, which also keeps the SQLite search index in step.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from limpia.core.fields import PortableDecimalField
from limpia.core.models import Country, Sector
from limpia.core.tracking import tracked_history


class Kind(models.TextChoices):
    SECTOR_GUIDE = "sector_guide", _("Sector guide")
    CASE_STUDY = "case_study", _("Case study")
    STUDY = "study", _("Study")
    REGULATION = "regulation", _("Regulation")
    BULLETIN = "bulletin", _("Bulletin")
    PRESENTATION = "presentation", _("Presentation")
    MINUTES = "minutes", _("Minutes")  # of a network body's meeting
    REPORT = "report", _("Report")


class Language(models.TextChoices):
    SPANISH = "es", _("Spanish")
    ENGLISH = "en", _("English")
    PORTUGUESE = "pt", _("Portuguese")


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class FileType(models.TextChoices):
    """What a stored file is, as found from its first bytes (not its name)."""

    PDF = "pdf", "PDF"
    DOCX = "docx", "Word (DOCX)"
    XLSX = "xlsx", "Excel (XLSX)"
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"


class DocumentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=DocumentStatus.PUBLISHED)

    def for_listing(self):
        return self.prefetch_related("sectors", "countries")


class Document(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=400)
    abstract = models.TextField(_("abstract"), blank=True)
    sectors = models.ManyToManyField(Sector, blank=True, verbose_name=_("sectors (ISIC)"))
    countries = models.ManyToManyField(Country, blank=True, verbose_name=_("countries"))
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    file = models.FileField(_("file"), upload_to="documents/", max_length=300, blank=True)
    file_type = models.CharField(
        _("file type"), max_length=8, choices=FileType.choices, blank=True, editable=False
    )
    link = models.URLField(_("link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DocumentStatus.choices,
        default=DocumentStatus.DRAFT,
        editable=False,
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = tracked_history(m2m_fields=[sectors, countries])

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(link="")) | (~Q(file="") & Q(link="")),
                name="knowledge_document_file_or_link",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == DocumentStatus.PUBLISHED


class ResultMetric(models.TextChoices):
    WATER = "water", _("Water saved")
    ENERGY = "energy", _("Energy saved")
    MATERIALS = "materials", _("Materials saved")
    MONEY = "money", _("Money saved")
    INVESTMENT = "investment", _("Investment")
    PAYBACK = "payback", _("Payback")


class CaseStudyResult(models.Model):
    """A quantified result of a case study, stored in its metric's canonical unit (m³, kWh,
    t, months) or, for money, in the currency it was given in (ISO 4217)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="results")
    metric = models.CharField(_("metric"), max_length=12, choices=ResultMetric.choices)
    value = PortableDecimalField(_("value (canonical unit)"), max_digits=24, decimal_places=6)
    unit = models.CharField(_("canonical unit or currency"), max_length=20)
    entered_value = PortableDecimalField(_("value as entered"), max_digits=24, decimal_places=6)
    entered_unit = models.CharField(_("unit as entered"), max_length=20)
    period = models.CharField(_("period (per year, once...)"), max_length=80, blank=True)
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_study_results",
    )
    node = models.ForeignKey(
        "plans.Node",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_study_results",
    )
    history = tracked_history()

    class Meta:
        ordering = ["document_id", "metric", "id"]
        verbose_name = _("case study result")
        verbose_name_plural = _("case study results")

    def __str__(self) -> str:
        return f"{self.metric}: {self.value} {self.unit}"

    @property
    def unit_label(self) -> str:
        return self.unit.replace("**3", "³").replace("**2", "²")
