"""Read-only questions about the knowledge centre, for pages, the API, search and reports."""

import datetime as dt

from django.db.models import Q, QuerySet

from limpia.knowledge.models import Document


def sector_q(code: str, prefix: str = "sectors__") -> Q:
    """Documents about an ISIC sector or anything under it: divisions, groups and classes
    nest by code prefix ("10" holds "107" and "1071"); a section ("C") holds its divisions."""
    code = str(code).strip().upper()
    return (
        Q(**{f"{prefix}code__startswith": code})
        | Q(**{f"{prefix}parent__code": code})
        | Q(**{f"{prefix}parent__parent__code": code})
        | Q(**{f"{prefix}parent__parent__parent__code": code})
    )


def filter_documents(
    queryset: QuerySet,
    *,
    kind: str | None = None,
    sector: str | None = None,
    country: str | None = None,
    language: str | None = None,
) -> QuerySet:
    """Documents narrowed by kind, sector (with its subsectors), country and language; an empty
    filter does not narrow."""
    if kind:
        queryset = queryset.filter(kind=kind)
    if language:
        queryset = queryset.filter(language=language)
    if country:
        queryset = queryset.filter(pk__in=Document.objects.filter(countries__code=country.upper()))
    if sector:
        queryset = queryset.filter(pk__in=Document.objects.filter(sector_q(sector)))
    return queryset


def documents_visible_to(user, queryset=None) -> QuerySet:
    """Published documents for everybody; drafts too for those who edit the centre."""
    queryset = Document.objects.all() if queryset is None else queryset
    if user is not None and user.has_perm("knowledge.edit_document"):
        return queryset
    return queryset.published()


def documents_published_between(start: dt.date, end: dt.date) -> QuerySet:
    """Published documents whose publication date falls within [start, end] (both included),
    oldest first: the knowledge centre's part of the semiannual bulletin."""
    return (
        Document.objects.published()
        .filter(published_on__gte=start, published_on__lte=end)
        .for_listing()
        .order_by("published_on", "id")
    )
