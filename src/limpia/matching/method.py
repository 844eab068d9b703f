"""The score of an offer for a need, and why.

An offer's score for a need is a weighted sum of five components, each between 0 and 1:

    score = 0.45 × text + 0.20 × kind + 0.15 × themes + 0.10 × sector + 0.10 × geography

- **text**: the cosine similarity of the two texts' TF-IDF vectors. A text's terms are its
  words lower-cased, with accents folded, stop words dropped and the rest stemmed by the
  Snowball stemmer of its language (Spanish, English or Portuguese), so that «capacitación»,
  «capacitaciones» and «capacitar» meet. The inverse document frequency is taken over the
  offers being ranked: a word every offer uses weighs little.
- **kind**: 1 when the offer is of the kind the need asks for (training, technical
  assistance, information, technology transfer, financing); 0.5 when the need does not say
  (the source plans never do); 0 otherwise.
- **themes**: the share of the need's programme themes the offer also has; 0.5 when the need
  has none.
- **sector**: 1 when the offer's ISIC sectors include the need's (a sector covers the classes
  under it: division «10» covers class «1050»); 0.5 when the need has no sector or the offer
  serves every sector; 0 otherwise.
- **geography**: 1 when the offer names the need's country (or, for a need of a subregion, one
  of its countries); 0.75 when the offer serves any country; 0 otherwise.

Suggestions are computed each time, never stored: ranking them is this module's business, the
rows come from the database.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import snowballstemmer

WEIGHTS = {"text": 0.45, "kind": 0.20, "themes": 0.15, "sector": 0.10, "geography": 0.10}
LANGUAGES = {"es": "spanish", "en": "english", "pt": "portuguese"}
SHOWN_TERMS = 5

_WORD = re.compile(r"[^\W\d_]{2,}")

# The Snowball projects' stop word lists, short forms: what carries no meaning in a need.
_STOP = {
    "es": """de la que el en y a los del se las por un para con no una su al lo como mas pero
        sus le ya o este si porque esta entre cuando muy sin sobre tambien me hasta hay donde
        quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos e esto
        antes algunos unos otro otras otra tanto esa estos mucho nada muchos cual poco ella
        estar estas algunas algo nosotros mi mis tu te ti tus ellas es son ser sea fue han ha
        se sus cada así asi segun según""",
    "en": """a an and are as at be by for from has have in is it its of on or that the to was
        were will with this these those their our we you they can not no into about over
        under such than then there which who what when where how all any each other more most
        some only own same so too very just also""",
    "pt": """de a o que e do da em um para com nao uma os no se na por mais as dos como mas ao
        ele das tem seu sua ou ser quando muito nos ja esta eu tambem so pelo pela ate isso
        ela entre era depois sem mesmo aos ter seus quem nas me esse eles estao voce essa num
        nem suas meu minha numa pelos elas qual lhe deles essas esses pelas este dele tu te
        sao foi ha cada""",
}


def fold(text: str) -> str:
    """Lower case without accents: «Gestión» → «gestion», «ñ» → «n»."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _stemmer(language: str):
    return snowballstemmer.stemmer(LANGUAGES.get(language, "spanish"))


@cache
def _stop(language: str) -> frozenset[str]:
    return frozenset(fold(_STOP.get(language, _STOP["es"])).split())


def terms(text: str, language: str = "es") -> list[str]:
    """The stems of a text's words (letters only, two or more), stop words out."""
    stop = _stop(language)
    stemmer = _stemmer(language)
    words = [w for w in _WORD.findall(fold(text or "")) if w not in stop]
    return [fold(stem) for stem in stemmer.stemWords(words)]


def representatives(text: str, language: str = "es") -> dict[str, str]:
    """For each stem of a text, the first word that gave it (to show «capacitación», not
    «capacit»)."""
    stop = _stop(language)
    stemmer = _stemmer(language)
    shown: dict[str, str] = {}
    for word in re.findall(r"[^\W\d_]{2,}", (text or "").lower()):
        folded = fold(word)
        if folded in stop:
            continue
        shown.setdefault(fold(stemmer.stemWord(folded)), word)
    return shown


@dataclass(frozen=True)
class Item:
    """A need or an offer as the score sees it."""

    key: object
    text: str
    language: str = "es"
    kind: str = ""
    themes: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()  # ISIC codes; an offer's empty set: any sector
    countries: frozenset[str] = frozenset()  # ISO 3166-1 alpha-2; an offer's empty set: any
    terms: tuple[str, ...] | None = None  # precomputed stems, else taken from `text`

    def stems(self) -> tuple[str, ...]:
        return self.terms if self.terms is not None else tuple(terms(self.text, self.language))


@dataclass(frozen=True)
class Suggestion:
    offer: object
    score: Decimal
    components: dict[str, Decimal]
    shared_terms: tuple[str, ...]
    same_kind: bool
    shared_themes: tuple[str, ...]
    sector_covered: bool
    covers_country: bool


def _covers(offer_sectors: frozenset[str], sector: str) -> bool:
    return any(sector.startswith(code) for code in offer_sectors)


def _vector(stems: Sequence[str], idf: dict[str, float]) -> dict[str, float]:
    counts = Counter(stems)
    vector = {t: (1 + math.log(n)) * idf.get(t, 0.0) for t, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm else {}


def _decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def suggest(need: Item, offers: Iterable[Item], *, limit: int | None = 10) -> list[Suggestion]:
    """The offers for `need`, best first (ties: the order given), with their components.

    Scores are floats while ranking; only the suggestions returned are written out with their
    components and reasons. The text component is computed only for offers that share a stem
    with the need (the others' is 0)."""
    offers = list(offers)
    stem_sets = [frozenset(o.stems()) for o in offers]
    need_stems = need.stems()
    need_set = frozenset(need_stems)
    frequency: Counter[str] = Counter(need_set)
    for stems in stem_sets:
        frequency.update(stems)
    documents = len(offers) + 1
    idf = {t: math.log((1 + documents) / (1 + n)) + 1 for t, n in frequency.items()}
    need_vector = _vector(need_stems, idf)
    ranked = []
    for position, (offer, stems) in enumerate(zip(offers, stem_sets, strict=True)):
        text = 0.0
        if not need_set.isdisjoint(stems):
            text = _cosine(need_vector, _vector(offer.stems(), idf))
        kind = 0.5 if not need.kind else float(offer.kind == need.kind)
        themes = len(need.themes & offer.themes) / len(need.themes) if need.themes else 0.5
        if not need.sectors or not offer.sectors:
            sector = 0.5
        else:
            sector = float(all(_covers(offer.sectors, s) for s in need.sectors))
        if need.countries & offer.countries:
            geography = 1.0
        else:
            geography = 0.75 if not offer.countries else 0.0
        components = (text, kind, themes, sector, geography)
        total = sum(w * v for w, v in zip(WEIGHT_ORDER, components, strict=True))
        ranked.append((-total, position, components))
    ranked.sort(key=lambda r: (r[0], r[1]))
    chosen = ranked if limit is None else ranked[:limit]
    shown = representatives(need.text, need.language)
    return [
        _suggestion(need, offers[position], -negative, components, need_vector, idf, shown)
        for negative, position, components in chosen
    ]


WEIGHT_ORDER = tuple(WEIGHTS.values())


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(weight * b[term] for term, weight in a.items() if term in b)


def _suggestion(need, offer, total, components, need_vector, idf, shown) -> Suggestion:
    stems = set(offer.stems())
    shared = sorted((t for t in need_vector if t in stems), key=lambda t: -need_vector[t])
    names = tuple(WEIGHTS)
    return Suggestion(
        offer=offer.key,
        score=_decimal(total),
        components={name: _decimal(v) for name, v in zip(names, components, strict=True)},
        shared_terms=tuple(shown.get(t, t) for t in shared[:SHOWN_TERMS]),
        same_kind=bool(need.kind) and offer.kind == need.kind,
        shared_themes=tuple(sorted(need.themes & offer.themes)),
        sector_covered=bool(need.sectors) and all(_covers(offer.sectors, s) for s in need.sectors),
        covers_country=bool(need.countries & offer.countries),
    )
