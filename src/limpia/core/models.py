from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from limpia.core.tracking import tracked_history


class LocalizedNameMixin:
    """Pick name_<language> for the active language, falling back to Spanish then English."""

    def localized_name(self) -> str:
        language = (get_language() or "es")[:2]
        return getattr(self, f"name_{language}", "") or getattr(self, "name_es", "") or self.name_en


class Country(LocalizedNameMixin, models.Model):
    code = models.CharField(_("ISO 3166-1 alpha-2"), max_length=2, primary_key=True)
    alpha_3 = models.CharField(max_length=3, unique=True)
    numeric = models.CharField(max_length=3)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_es = models.CharField(_("name (Spanish)"), max_length=120)
    name_pt = models.CharField(_("name (Portuguese)"), max_length=120, blank=True)

    class Meta:
        ordering = ["name_es"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.localized_name()


class Subdivision(models.Model):
    code = models.CharField(_("ISO 3166-2 code"), max_length=12, primary_key=True)
    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="subdivisions")
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=80)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["country_id", "name"]
        verbose_name = _("subdivision")
        verbose_name_plural = _("subdivisions")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Subregion(LocalizedNameMixin, models.Model):
    """A named group of countries, such as the LAC subregions of the UNEP regional SCP plan."""

    key = models.SlugField(max_length=40, unique=True)
    name_en = models.CharField(max_length=120)
    name_es = models.CharField(max_length=120)
    name_pt = models.CharField(max_length=120, blank=True)
    countries = models.ManyToManyField(Country, related_name="subregions", blank=True)
    source = models.TextField(_("source"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("subregion")
        verbose_name_plural = _("subregions")

    def __str__(self) -> str:
        return self.localized_name()


class OrganizationKind(models.TextChoices):
    PUBLIC_AGENCY = "public_agency", _("Ministry or public agency")
    REGULATOR = "regulator", _("Regulator")
    BUSINESS_ASSOCIATION = "business_association", _("Business association")
    COMPANY = "company", _("Company")
    NGO = "ngo", _("NGO")
    ACADEMIA = "academia", _("Academia")
    CP_CENTRE = "cp_centre", _("Cleaner production centre")
    FINANCIAL = "financial", _("Financial institution")
    UNION = "union", _("Union")
    INTERNATIONAL = "international", _("International or cooperation agency")
    OTHER_BODY = "other_body", _("Council, committee or network")


class OrganizationQuerySet(models.QuerySet):
    def for_listing(self):
        return self.select_related("country", "parent")


class Organization(models.Model):
    key = models.SlugField(_("key"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="organizations"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    history = tracked_history()

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    @property
    def label(self) -> str:
        return self.acronym or self.name


class SectorLevel(models.TextChoices):
    SECTION = "section", _("Section")
    DIVISION = "division", _("Division")
    GROUP = "group", _("Group")
    CLASS = "class", _("Class")


class Sector(LocalizedNameMixin, models.Model):
    """An ISIC Rev.4 (CIIU Rev.4) code at any of its four levels."""

    code = models.CharField(_("code"), max_length=4, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=SectorLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        to_field="code",
        null=True,
        blank=True,
        related_name="children",
    )
    name_en = models.CharField(max_length=300)
    name_es = models.CharField(max_length=300, blank=True)
    name_pt = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sector (ISIC Rev.4)")
        verbose_name_plural = _("sectors (ISIC Rev.4)")

    def __str__(self) -> str:
        return f"{self.code} {self.localized_name()}"
