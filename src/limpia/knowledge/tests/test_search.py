"""Full-text search: accents, plurals, ranking, snippets, filters and drafts, with the same
expected results on SQLite (FTS5) and PostgreSQL (spanish_unaccent): the suite runs on both."""

import pytest
from django.db import connection

from limpia.knowledge import search, services, spanish
from limpia.knowledge.tests.conftest import keys

pytestmark = pytest.mark.django_db

# The same expected order on both databases (the suite runs on each).
EXPECTED = {
    "gestión de residuos": ["guia_residuos", "talleres", "boletin"],
    "gestion de residuos": ["guia_residuos", "talleres", "boletin"],
    "GESTIÓN DE LOS RESIDUOS": ["guia_residuos", "talleres", "boletin"],
    "residuo": ["guia_residuos", "talleres", "bebidas", "boletin"],
    "residuos": ["guia_residuos", "talleres", "bebidas", "boletin"],
    "energia": ["lacteos", "panaderias", "boletin"],
    "energía": ["lacteos", "panaderias", "boletin"],
    "eficiencia energética en panaderías": ["panaderias"],
    "eficiencia energetica": ["panaderias", "calderas"],
    "panadería": ["panaderias", "boletin"],
    "agua": ["vinas", "bebidas"],
}


@pytest.mark.parametrize("query", sorted(EXPECTED))
def test_it_finds_the_same_documents_in_the_same_order_on_both_databases(corpus, query):
    assert keys(corpus, search.search(query))[:3] == EXPECTED[query][:3]
    assert keys(corpus, search.search(query)) == EXPECTED[query]


def test_it_ignores_accents_case_and_number(corpus):
    accented = keys(corpus, search.search("gestión de residuos"))
    assert keys(corpus, search.search("gestion de residuos")) == accented
    assert keys(corpus, search.search("Gestiones de Residuo")) == accented


def test_it_ranks_a_title_match_above_an_abstract_match(corpus):
    hits = search.search("energía")
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)
    assert hits[0].rank > hits[-1].rank > 0


def test_it_highlights_the_words_as_written(corpus):
    hit = search.search("residuo")[0]
    assert "<mark>residuos</mark>" in hit.snippet_html
    hit = next(h for h in search.search("energia") if h.document == corpus["panaderias"])
    assert "<mark>energía</mark>" in hit.snippet_html


def test_it_escapes_markup_in_snippets(corpus):
    hit = search.search("agua")[0]
    assert hit.document == corpus["vinas"]
    assert "<script" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert "<mark>agua</mark>" in hit.snippet_html
    assert hit.snippet_html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_it_finds_nothing_for_stop_words_or_an_empty_query(corpus):
    assert search.search("de la y en") == []
    assert search.search("   ") == []
    assert search.search("inexistente") == []


def test_it_filters_by_kind_sector_country_and_language(corpus):
    assert keys(corpus, search.search("residuos", kind="case_study")) == ["bebidas"]
    assert keys(corpus, search.search("residuos", country="PA")) == ["talleres", "boletin"]
    # A division holds its classes (10 → 1071), a section its divisions (C → 10, 11).
    assert keys(corpus, search.search("energía", sector="10")) == ["lacteos", "panaderias"]
    assert keys(corpus, search.search("residuos", sector="C")) == ["guia_residuos", "bebidas"]
    assert keys(corpus, search.search("bakeries", language="en")) == ["english"]
    assert search.search("bakeries", language="es") == []


def test_it_hides_drafts_from_the_public_but_not_from_editors(corpus):
    assert "draft" not in keys(corpus, search.search("residuos electrónicos"))
    assert keys(corpus, search.search("residuos electrónicos", include_drafts=True)) == ["draft"]


def test_it_follows_changes_and_deletions(corpus, ana):
    document = corpus["calderas"]
    document.abstract = "Límites de emisiones de las calderas industriales."
    services.document_save(acting_user=ana, document=document)
    assert keys(corpus, search.search("eficiencia energetica")) == ["panaderias"]
    assert keys(corpus, search.search("emisiones")) == ["calderas"]
    services.document_unpublish(acting_user=ana, document=document)
    assert search.search("emisiones") == []
    services.document_delete(acting_user=ana, document=corpus["vinas"])
    assert keys(corpus, search.search("agua")) == ["bebidas"]


def test_it_rebuilds_the_index(corpus):
    expected = keys(corpus, search.search("residuos"))
    count = search.rebuild_index()
    assert count == (len(corpus) if connection.vendor == "sqlite" else 0)
    assert keys(corpus, search.search("residuos")) == expected


STEMS = {
    "residuos": "residu",
    "residuo": "residu",
    "gestión": "gestion",
    "panaderías": "panaderi",
    "eficiencia": "eficient",
    "energética": "energet",
    "energía": "energi",
    "haciéndola": "hac",
    "rápidamente": "rapid",
    "construyendo": "constru",
    "averigüemos": "averig",
}


@pytest.mark.parametrize(("word", "expected"), sorted(STEMS.items()))
def test_it_stems_like_snowball(word, expected):
    assert spanish.terms(word) == [expected]


def test_it_stems_the_corpus_as_postgresql_does(corpus):
    if connection.vendor != "postgresql":
        pytest.skip("compares with PostgreSQL's own stemmer")
    text = " ".join(f"{d.title} {d.abstract} {' '.join(d.tags)}" for d in corpus.values())
    words = sorted(set(spanish.words(text)) - spanish.STOP_WORDS)
    with connection.cursor() as cursor:
        for word in words:
            cursor.execute("SELECT ts_lexize('spanish_stem', %s)", [word])
            (lexemes,) = cursor.fetchone()
            assert spanish.stem(word) == (lexemes or [None])[0], word
