"""A computed plan indicator from the knowledge centre: documents published, by kind and
sector (Panamá's "1000 guías en 15 rubros")."""

import datetime as dt

from limpia.knowledge.models import Document


def _as_list(value) -> list[str]:
    if value in (None, "", []):
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple | set) else [str(value)]


def documents_published(params: dict) -> list[tuple[dt.date, int]]:
    """One event (publication date, 1) per published document matching `params`:
    `kind` (one kind or a list), `sector` (an ISIC code prefix, or a list of them: a document
    counts when one of its sectors starts with one of them), `country`, `language`. Sorted by
    date; documents without a publication date are left out."""
    kinds = _as_list(params.get("kind"))
    prefixes = [p.upper() for p in _as_list(params.get("sector"))]
    documents = Document.objects.published().filter(published_on__isnull=False)
    if kinds:
        documents = documents.filter(kind__in=kinds)
    if params.get("country"):
        documents = documents.filter(countries__code=str(params["country"]).upper())
    if params.get("language"):
        documents = documents.filter(language=params["language"])
    rows = documents.distinct().prefetch_related("sectors")
    events = []
    for document in rows:
        if prefixes and not any(
            sector.code.startswith(prefix)
            for sector in document.sectors.all()
            for prefix in prefixes
        ):
            continue
        events.append((document.published_on, 1))
    return sorted(events, key=lambda event: event[0])
