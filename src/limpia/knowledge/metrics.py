"""A computed plan indicator from the knowledge centre: documents published, by kind and
sector (Panamá's "1000 guías en 15 rubros").

`documents_published` in a plan's metric takes `kind` (one document kind or a list), `sector`
(an ISIC code prefix or a list of them: a document counts when one of its sectors starts with
one of them), `country` and `language`. limpia.agreements.metrics.MetricData reads the published
documents once per page (`published_documents`) and filters them with `matches`.
"""

from __future__ import annotations

import datetime as dt

from limpia.knowledge.models import Document


def _as_list(value) -> list[str]:
    if value in (None, "", []):
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple | set) else [str(value)]


def published_documents() -> list[Document]:
    """Every published document with a publication date, its sectors and countries loaded
    (three queries)."""
    return list(
        Document.objects.published()
        .filter(published_on__isnull=False)
        .prefetch_related("sectors", "countries")
    )


def matches(document: Document, params: dict) -> bool:
    kinds = _as_list(params.get("kind"))
    if kinds and document.kind not in kinds:
        return False
    if params.get("language") and document.language != params["language"]:
        return False
    country = str(params.get("country") or "").upper()
    if country and not any(c.code == country for c in document.countries.all()):
        return False
    prefixes = [p.upper() for p in _as_list(params.get("sector"))]
    return not prefixes or any(
        sector.code.upper().startswith(prefix)
        for sector in document.sectors.all()
        for prefix in prefixes
    )


def documents_published(params: dict) -> list[tuple[dt.date, int]]:
    """One event (publication date, 1) per published document matching `params`, by date."""
    return sorted(
        ((d.published_on, 1) for d in published_documents() if matches(d, params)),
        key=lambda event: event[0],
    )
