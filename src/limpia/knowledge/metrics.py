"""A computed plan indicator from the knowledge centre: documents published, by kind and
sector (Panamá's "1000 guías en 15 rubros").

`documents_published` in a plan's metric takes `kind` (one document kind or a list), `sector`
(an ISIC code prefix or a list of them: a document counts when one of its sectors starts with
one of them), `country` and `language`. `published_matching` says it as one queryset (sectors
and countries as EXISTS subqueries, so a document with two matching sectors counts once);
limpia.agreements.metrics.MetricData counts its rows by publication date in the database.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from limpia.knowledge.models import Document


def _as_list(value) -> list[str]:
    if value in (None, "", []):
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple | set) else [str(value)]


def published_matching(params: dict) -> QuerySet:
    """The published documents with a publication date that `params` select."""
    documents = Document.objects.published().filter(published_on__isnull=False)
    kinds = _as_list(params.get("kind"))
    if kinds:
        documents = documents.filter(kind__in=kinds)
    if params.get("language"):
        documents = documents.filter(language=params["language"])
    country = str(params.get("country") or "").upper()
    if country:
        countries = Document.countries.through.objects.filter(
            document_id=OuterRef("pk"), country_id=country
        )
        documents = documents.filter(Exists(countries))
    prefixes = _as_list(params.get("sector"))
    if prefixes:
        any_prefix = Q()
        for prefix in prefixes:
            any_prefix |= Q(sector__code__istartswith=prefix)
        sectors = Document.sectors.through.objects.filter(document_id=OuterRef("pk")).filter(
            any_prefix
        )
        documents = documents.filter(Exists(sectors))
    return documents


def documents_published(params: dict) -> list[tuple[dt.date, int]]:
    """One event (publication date, 1) per published document matching `params`, by date."""
    days = (
        published_matching(params).order_by("published_on").values_list("published_on", flat=True)
    )
    return [(day, 1) for day in days]
