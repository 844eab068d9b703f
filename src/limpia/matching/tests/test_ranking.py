"""The suggestions' ranking on a labelled set (tests/labelled.yaml: 20 needs, 40 offers in
Spanish, English and Portuguese): the right offer first for most needs, in the first three
for nearly all. The figures are in docs/cooperation.md; if a change to the score lowers them
below these floors, the test says by how much."""

from pathlib import Path

import pytest
import yaml

from limpia.matching.method import WEIGHTS, Item, suggest, terms

LABELLED = yaml.safe_load((Path(__file__).parent / "labelled.yaml").read_text(encoding="utf-8"))


def _item(key, data) -> Item:
    return Item(
        key=key,
        text=data["text"],
        language=data["language"],
        kind=data["kind"],
        themes=frozenset(data["themes"]),
        sectors=frozenset(str(s) for s in data["sectors"]),
        countries=frozenset(data["countries"]),
    )


OFFERS = [_item(k, v) for k, v in LABELLED["offers"].items()]


def _ranks() -> dict[str, int]:
    ranks = {}
    for key, data in LABELLED["needs"].items():
        order = [s.offer for s in suggest(_item(key, data), OFFERS, limit=None)]
        ranks[key] = order.index(data["right"]) + 1
    return ranks


def test_the_set_is_as_large_as_the_issue_asks():
    assert len(LABELLED["needs"]) >= 20 and len(LABELLED["offers"]) >= 40
    assert {v["language"] for v in LABELLED["offers"].values()} == {"es", "en", "pt"}


def test_the_right_offer_comes_first_for_nearly_every_need():
    ranks = _ranks()
    first = sum(r == 1 for r in ranks.values()) / len(ranks)
    top3 = sum(r <= 3 for r in ranks.values()) / len(ranks)
    print(f"first: {first:.0%}, first three: {top3:.0%}, ranks: {ranks}")
    # measured: 95 % first, 95 % in the first three; n09 (English, no kind) meets its Spanish
    # offer on no word and ranks 12th: the score does not translate
    assert first >= 0.9, ranks
    assert top3 >= 0.9, ranks


def test_inflections_and_accents_meet():
    assert terms("Capacitación") == terms("capacitaciones") == terms("CAPACITACION")
    assert terms("gestión de residuos") == terms("gestion residuo")
    assert terms("the plans", "en") == terms("plan", "en")
    assert terms("educação", "pt") == terms("educacao", "pt")


def test_a_suggestion_says_why():
    need = _item("n", LABELLED["needs"]["n06"])
    best = suggest(need, OFFERS, limit=1)[0]
    assert best.offer == "o09"
    assert best.same_kind and best.sector_covered
    assert {"residuos", "gestión", "sólidos"} <= set(best.shared_terms)  # as the need writes them
    assert not best.covers_country  # it serves any country: 0.75 of the geography
    assert best.components["geography"] == pytest.approx(0.75)
    weighted = sum(w * float(best.components[c]) for c, w in WEIGHTS.items())
    assert abs(float(best.score) - weighted) < 0.001


def test_a_sector_covers_the_classes_under_it():
    need = Item("n", "plantas lecheras", kind="technology_transfer", sectors=frozenset({"1050"}))
    dairy = Item("dairy", "plantas", kind="technology_transfer", sectors=frozenset({"10"}))
    steel = Item("steel", "plantas", kind="technology_transfer", sectors=frozenset({"24"}))
    ranked = suggest(need, [steel, dairy])
    assert [s.offer for s in ranked] == ["dairy", "steel"]
    assert ranked[0].sector_covered and not ranked[1].sector_covered
