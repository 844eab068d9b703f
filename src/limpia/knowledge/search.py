"""Full-text search of the knowledge centre, in Spanish: accent-insensitive, stemmed, ranked,
with highlighted snippets, giving the same results on PostgreSQL and SQLite.

PostgreSQL: the `spanish_unaccent` text search configuration (migration 0002: Spanish with
`unaccent` before the Snowball stemmer) through SearchVector (title weight A, abstract B, tags
C), SearchQuery (plain: every word must match), SearchRank and SearchHeadline.

SQLite: an FTS5 table (migration 0002, tokenizer `unicode61 remove_diacritics 2`) whose rowid
is the document's id. Its columns `title`, `abstract` and `tags` hold the *stems* of the
text as PostgreSQL would index them (`spanish.terms`: same stop words, same Snowball stemmer),
and the query is stemmed the same way; bm25 ranks with the weights 10, 4 and 2, the ratio of
PostgreSQL's A, B and C. `abstract_text` holds the abstract as written, for `snippet()`: it
is searched with the prefixes the query's stems keep of its words ("residu*"), so the words
shown in the snippet are highlighted as written. The services keep the table in step
(`index_document`, `unindex_document`); `rebuild_index()` refills it.

Snippets are HTML: the text is escaped and only the <mark> tags are ours.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, FloatField, TextField, Value
from django.db.models.functions import Cast, Replace

from limpia.knowledge import spanish
from limpia.knowledge.models import Document
from limpia.knowledge.queries import filter_documents

PG_CONFIG = "spanish_unaccent"
FTS_TABLE = "knowledge_document_fts"
MARK_START, MARK_STOP = "\x02", "\x03"
SNIPPET_WORDS = 30
# bm25 weights of the FTS5 columns title, abstract, tags, title_text, abstract_text.
_BM25 = "bm25(knowledge_document_fts, 10.0, 4.0, 2.0, 0.0, 0.0)"


@dataclass(frozen=True)
class Hit:
    document: Document
    rank: float
    snippet_html: str


def _uses_fts5() -> bool:
    return connection.vendor == "sqlite"


def _clean(text: str) -> str:
    return (text or "").replace(MARK_START, "").replace(MARK_STOP, "")


def _marked_to_html(text: str) -> str:
    """Escape a snippet whose highlights are marked with MARK_START/MARK_STOP."""
    escaped = html.escape(text, quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")


# ---------------------------------------------------------------- keeping SQLite's index


def index_document(document: Document) -> None:
    """Write (or rewrite) a document's row in the SQLite index; nothing on PostgreSQL."""
    if not _uses_fts5():
        return
    tags = " ".join(str(tag) for tag in document.tags or [])
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [document.pk])
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, abstract, tags, title_text, abstract_text)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [
                document.pk,
                " ".join(spanish.terms(document.title)),
                " ".join(spanish.terms(document.abstract)),
                " ".join(spanish.terms(tags)),
                _clean(document.title),
                _clean(document.abstract),
            ],
        )


def unindex_document(pk: int) -> None:
    if not _uses_fts5():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [pk])


def rebuild_index() -> int:
    """Refill the SQLite index from the documents (after a restore or a bulk import)."""
    if not _uses_fts5():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
    count = 0
    for document in Document.objects.iterator():
        index_document(document)
        count += 1
    return count


# ---------------------------------------------------------------- searching


def search(
    query: str,
    *,
    kind: str | None = None,
    sector: str | None = None,
    country: str | None = None,
    language: str | None = None,
    include_drafts: bool = False,
    limit: int = 100,
) -> list[Hit]:
    """Documents matching every word of `query` (stop words aside), best first (rank, then
    id), with an HTML snippet of the abstract. Only published documents unless
    `include_drafts` (for editors). A query of stop words only finds nothing."""
    if not spanish.terms(query or ""):
        return []
    documents = Document.objects.all() if include_drafts else Document.objects.published()
    documents = filter_documents(
        documents, kind=kind, sector=sector, country=country, language=language
    )
    if _uses_fts5():
        return _search_fts5(query, documents, limit)
    return _search_postgres(query, documents, limit)


def _search_postgres(query: str, documents, limit: int) -> list[Hit]:
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVector,
    )

    vector = (
        SearchVector("title", config=PG_CONFIG, weight="A")
        + SearchVector("abstract", config=PG_CONFIG, weight="B")
        + SearchVector(Cast("tags", TextField()), config=PG_CONFIG, weight="C")
    )
    search_query = SearchQuery(query, config=PG_CONFIG, search_type="plain")
    # Escaped in SQL before the headline is cut, so that ts_headline neither drops nor
    # passes on markup; the only tags in the result are the <mark>s put in below.
    escaped = F("abstract")
    for raw, entity in (
        (MARK_START, ""),
        (MARK_STOP, ""),
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
    ):
        escaped = Replace(escaped, Value(raw), Value(entity))
    rows = (
        documents.alias(search=vector)
        .filter(search=search_query)
        .annotate(
            rank=Cast(SearchRank(vector, search_query), FloatField()),
            snippet=SearchHeadline(
                escaped,
                search_query,
                config=PG_CONFIG,
                start_sel=MARK_START,
                stop_sel=MARK_STOP,
                max_words=SNIPPET_WORDS,
                min_words=SNIPPET_WORDS // 2,
            ),
        )
        .order_by("-rank", "pk")[:limit]
    )
    hits = []
    for document in rows:
        snippet = document.snippet.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
        hits.append(Hit(document=document, rank=float(document.rank), snippet_html=snippet))
    return hits


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', "") + '"'


def _highlight_prefixes(query: str) -> list[str]:
    """For each word of the query, the part its stem keeps ("residuos" → "residu")."""
    prefixes = []
    for word in spanish.words(query):
        if word in spanish.STOP_WORDS:
            continue
        stem = spanish.stem(word)
        common = 0
        while common < min(len(stem), len(word)) and stem[common] == word[common]:
            common += 1
        prefix = word[: max(common, 1)]
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


def _search_fts5(query: str, documents, limit: int) -> list[Hit]:
    stems = list(dict.fromkeys(spanish.terms(query)))
    match = "{title abstract tags} : (" + " AND ".join(_fts_phrase(s) for s in stems) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, -{_BM25} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match]
        )
        ranks = {pk: float(rank) for pk, rank in cursor.fetchall()}
    if not ranks:
        return []
    found = {d.pk: d for d in documents.filter(pk__in=list(ranks))}
    order = sorted(found, key=lambda pk: (-ranks[pk], pk))[:limit]
    snippets = _fts5_snippets(query, order)
    hits = []
    for pk in order:
        document = found[pk]
        snippet = snippets.get(pk)
        if snippet is None:  # no word of the query in the abstract: its beginning
            words = _clean(document.abstract).split()
            snippet = _marked_to_html(" ".join(words[: SNIPPET_WORDS // 2]))
        hits.append(Hit(document=document, rank=ranks[pk], snippet_html=snippet))
    return hits


def _fts5_snippets(query: str, pks: list[int]) -> dict[int, str]:
    prefixes = _highlight_prefixes(query)
    if not pks or not prefixes:
        return {}
    match = "{abstract_text} : (" + " OR ".join(_fts_phrase(p) + "*" for p in prefixes) + ")"
    placeholders = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, snippet({FTS_TABLE}, 4, %s, %s, %s, %s) FROM {FTS_TABLE}"
            f" WHERE {FTS_TABLE} MATCH %s AND rowid IN ({placeholders})",
            [MARK_START, MARK_STOP, "…", SNIPPET_WORDS, match, *pks],
        )
        return {pk: _marked_to_html(text) for pk, text in cursor.fetchall()}
