"""Every change to the knowledge centre goes through these functions: atomic,
permission-checked ("knowledge.edit_document"), attributed in history, and keeping the
SQLite search index in step (see search.py)."""

import re
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from limpia.core import units
from limpia.core.errors import DomainError, IllegalTransition
from limpia.core.fields import portable, require_portable
from limpia.core.services import require_perm, save_attributed, validate_model
from limpia.knowledge import files, search
from limpia.knowledge.models import CaseStudyResult, Document, DocumentStatus, Kind, ResultMetric

PERM = "knowledge.edit_document"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Physical results: the impact metric whose canonical unit they share (limpia.core.units).
PHYSICAL = {"water": "water", "energy": "energy", "materials": "waste"}
MONEY = frozenset({"money", "investment"})
# Payback: months, or years (× 12).
PAYBACK_UNITS = {
    "month": 1,
    "months": 1,
    "mes": 1,
    "meses": 1,
    "mo": 1,
    "year": 12,
    "years": 12,
    "yr": 12,
    "año": 12,
    "años": 12,
    "a": 12,
}


def _tidy_text(value: str) -> str:
    return _CONTROL.sub("", value or "").strip()


def _clean_tags(tags) -> list[str]:
    if tags in (None, ""):
        return []
    if isinstance(tags, str):
        tags = tags.split(";")
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise DomainError(_("Tags are a list of words or phrases."), field="tags")
    cleaned = []
    for tag in tags:
        tag = " ".join(_tidy_text(tag).split())[:60]
        if tag and tag.lower() not in {t.lower() for t in cleaned}:
            cleaned.append(tag)
    return cleaned


def _attach_file(document: Document, upload) -> None:
    file_type = files.sniff(upload)
    stem = slugify(document.title)[:60] or "documento"
    name = f"{stem}.{files.EXTENSIONS[file_type]}"
    if not isinstance(upload, UploadedFile):
        from django.core.files import File

        upload = File(upload, name=name)
    document.file.save(name, upload, save=False)
    document.file_type = file_type


@transaction.atomic
def document_save(
    *,
    acting_user,
    document: Document,
    upload=None,
    sectors=None,
    countries=None,
    reason: str = "document",
) -> Document:
    """Create or update a document (a draft until published). `upload` is a new file, checked
    by its content (and size); a document has a file or a link, not both and not neither.
    `sectors` and `countries`, when given, replace the current ones."""
    require_perm(acting_user, PERM, document)
    document.title = " ".join(_tidy_text(document.title).split())
    document.abstract = _tidy_text(document.abstract)
    document.tags = _clean_tags(document.tags)
    document.link = (document.link or "").strip()
    if upload is not None:
        _attach_file(document, upload)  # refuses before anything is stored
    has_file, has_link = bool(document.file), bool(document.link)
    if has_file == has_link:
        raise DomainError(
            _("Give the document either a file or a link (one of the two).")
            if not has_file
            else _("A document has a file or a link, not both: remove one of them."),
            field="file" if upload is not None or not has_link else "link",
        )
    if not has_file:
        document.file_type = ""
    validate_model(document)
    save_attributed(document, acting_user=acting_user, reason=reason)
    if sectors is not None:
        document.sectors.set(sectors)
    if countries is not None:
        document.countries.set(countries)
    search.index_document(document)
    return document


@transaction.atomic
def document_publish(*, acting_user, document: Document, published_on=None) -> Document:
    """Make a draft public. Without a publication date, it is published today."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    require_perm(acting_user, PERM, document)
    if document.status == DocumentStatus.PUBLISHED:
        raise IllegalTransition(_("The document is already published."))
    document.status = DocumentStatus.PUBLISHED
    document.published_on = published_on or document.published_on or timezone.localdate()
    save_attributed(
        document,
        acting_user=acting_user,
        update_fields=["status", "published_on"],
        reason="published",
    )
    search.index_document(document)
    return document


@transaction.atomic
def document_unpublish(*, acting_user, document: Document) -> Document:
    """Take a published document back to draft (it leaves the public pages and search)."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    require_perm(acting_user, PERM, document)
    if document.status != DocumentStatus.PUBLISHED:
        raise IllegalTransition(_("Only a published document can be withdrawn."))
    document.status = DocumentStatus.DRAFT
    save_attributed(
        document, acting_user=acting_user, update_fields=["status"], reason="unpublished"
    )
    search.index_document(document)
    return document


@transaction.atomic
def document_delete(*, acting_user, document: Document) -> None:
    require_perm(acting_user, PERM, document)
    pk = document.pk
    document._history_user = acting_user
    stored = document.file.name if document.file else ""
    document.delete()
    search.unindex_document(pk)
    if stored:
        storage = Document._meta.get_field("file").storage
        transaction.on_commit(lambda: storage.delete(stored))


def _decimal(value) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise DomainError(_("The value must be a decimal number."), field="value") from None
    if not number.is_finite():
        raise DomainError(_("The value must be a finite number."), field="value")
    require_portable(number, field="value")
    return number


def canonical(metric: str, value, unit: str) -> tuple[Decimal, str]:
    """A result's value in its metric's canonical unit: m³ (water), kWh (energy), t
    (materials), months (payback); money keeps its ISO 4217 currency. DomainError(field="unit")
    for a unit that does not fit the metric."""
    if metric not in ResultMetric.values:
        raise DomainError(_("Unknown metric “%(metric)s”.") % {"metric": metric}, field="metric")
    label = ResultMetric(metric).label
    number = _decimal(value)
    if number < 0:
        raise DomainError(
            _("A saving, an investment or a payback cannot be negative."), field="value"
        )
    if metric in MONEY:
        money = units.Money(number, unit)  # refuses what is not an ISO 4217 code
        return money.amount, money.currency
    if metric == "payback":
        factor = PAYBACK_UNITS.get(" ".join((unit or "").split()).lower())
        if factor is None:
            raise DomainError(
                _("“%(unit)s” is not a unit for %(metric)s. Use months or years.")
                % {"unit": (unit or "")[:40], "metric": label},
                field="unit",
            )
        return units.tidy(portable(number * factor)), "months"
    impact_metric = PHYSICAL[metric]
    try:
        converted = units.to_canonical(impact_metric, number, unit)
    except DomainError as exc:
        if exc.field != "unit":
            raise
        target = units.IMPACT_METRICS[impact_metric][0]
        raise DomainError(
            _("“%(unit)s” is not a unit for %(metric)s. Use one such as: %(examples)s.")
            % {
                "unit": (unit or "")[:40],
                "metric": label,
                "examples": units.EXAMPLES.get(target, target),
            },
            field="unit",
        ) from None
    return converted, units.IMPACT_METRICS[impact_metric][0]


@transaction.atomic
def case_study_result_add(
    *,
    acting_user,
    document: Document,
    metric: str,
    value,
    unit: str,
    period: str = "",
    agreement=None,
    node=None,
) -> CaseStudyResult:
    """A quantified result of a case study, converted to its metric's canonical unit."""
    require_perm(acting_user, PERM, document)
    if document.kind != Kind.CASE_STUDY:
        raise DomainError(_("Only case studies carry quantified results."), field="document")
    amount, canonical_unit = canonical(metric, value, unit)
    entered = _decimal(value)
    result = CaseStudyResult(
        document=document,
        metric=metric,
        value=amount,
        unit=canonical_unit,
        entered_value=entered,
        entered_unit=" ".join((unit or "").split())[:20],
        period=_tidy_text(period)[:80],
        agreement=agreement,
        node=node,
    )
    validate_model(result)
    save_attributed(result, acting_user=acting_user, reason="result")
    return result


def result_totals(results) -> list[dict]:
    """Totals per metric and unit (currencies apart), like an agreement's impacts:
    rows of {metric, unit, total, documents}."""
    totals: dict[tuple[str, str], dict] = {}
    for result in results:
        row = totals.setdefault(
            (result.metric, result.unit),
            {"metric": result.metric, "unit": result.unit, "total": Decimal(0), "documents": set()},
        )
        row["total"] += result.value
        row["documents"].add(result.document_id)
    return [
        {**row, "total": units.tidy(row["total"]), "documents": len(row["documents"])}
        for _key, row in sorted(totals.items())
    ]
