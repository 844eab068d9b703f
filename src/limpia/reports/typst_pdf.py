"""Shared plumbing of the report PDFs (plan progress, agreement report, bulletin).

The pattern of `limpia.reports.certificates`: user data never enters typst markup. It is
written to data.json next to a fixed template that reads it with `json("data.json")` and shows
each value as a plain string; charts are SVG files placed with `image(...)`. Only typst's
embedded fonts are used (system fonts ignored), no @preview packages, no network, and the PDF
creation date is given by the caller, so the same data always renders to the same bytes.

Labels are English msgids translated with gettext; while a label has no entry in the catalogue
yet, the Spanish and Portuguese texts given next to it are used, so the reports are never half
in English.
"""

import datetime as dt
import json
import logging
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import typst
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext

from limpia.reports.certificates import uncovered_characters

logger = logging.getLogger(__name__)

LANGUAGES = ("es", "en", "pt")

# A label: (English msgid, Spanish, Portuguese).
Label = tuple[str, str, str]


def language() -> str:
    code = (get_language() or "es").split("-")[0]
    return code if code in LANGUAGES else "es"


def translate(labels: dict[str, Label]) -> dict[str, str]:
    """The labels in the active language (gettext first, then the texts given here)."""
    current = language()
    result = {}
    for key, (english, spanish, portuguese) in labels.items():
        text = gettext(english)
        if text == english and current != "en":
            text = spanish if current == "es" else portuguese
        result[key] = text
    return result


def number(value: Decimal | int | float | None, *, places: int = 2) -> str:
    """A number in the active locale, at most `places` decimals, no trailing zeros; "—" if None."""
    if value is None:
        return "—"
    value = Decimal(str(value)) if not isinstance(value, Decimal) else value
    value = round(value, places).normalize()
    shown = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=shown, use_l10n=True, force_grouping=True)


def percent(value: Decimal | Fraction | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    shown = round(Decimal(value) * 100, 1)
    return f"{number_format(shown, decimal_pos=1, use_l10n=True)} %"


def date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def render(
    name: str,
    template: str,
    payload: dict,
    *,
    files: dict[str, str] | None = None,
    day: dt.date,
) -> bytes:
    """Compile `template` with `payload` as data.json and `files` (name → text) beside it.

    Typst's warnings and characters the embedded fonts probably lack are logged.
    """
    text = json.dumps(payload, ensure_ascii=False)
    timestamp = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory(prefix=f"limpia-{name}-") as directory:
        root = Path(directory)
        (root / "data.json").write_text(text, "utf-8")
        for filename, content in (files or {}).items():
            (root / filename).write_text(content, "utf-8")
        (root / "main.typ").write_text(template, "utf-8")
        pdf, warnings = typst.compile_with_warnings(
            str(root / "main.typ"),
            root=str(root),
            font_paths=[],
            ignore_system_fonts=True,
            format="pdf",
            timestamp=timestamp,
        )
    for warning in warnings:
        logger.warning("%s: typst warning: %s", name, warning.message)
    missing = uncovered_characters(text)
    if missing:
        logger.warning("%s: characters without a glyph in the embedded fonts: %s", name, missing)
    return pdf


# Common typst definitions: page, fonts, tables. `d` is the data, `l` its labels.
PREAMBLE = r"""
#let d = json("data.json")
#let l = d.labels
#set document(title: d.title, author: d.author, keywords: d.keywords)
#set text(font: "Libertinus Serif", size: 10pt, lang: d.language)
#set par(justify: false)
#set smartquote(enabled: false)
#set page(paper: "a4", margin: (x: 2cm, top: 2cm, bottom: 2.2cm),
  footer: context text(size: 8pt, fill: luma(110))[
    #d.footer #h(1fr) #counter(page).display("1 / 1", both: true)
  ])
#let accent = rgb("#1f6f8b")
#show heading.where(level: 1): it => block(below: 8pt, above: 14pt,
  text(size: 14pt, weight: "bold", fill: accent, it.body))
#show heading.where(level: 2): it => block(below: 6pt, above: 10pt,
  text(size: 11.5pt, weight: "bold", it.body))
#let colours = (
  achieved: rgb("#1e8449"), on_track: rgb("#1e8449"),
  acceleration_needed: rgb("#b9770e"), limited_progress: rgb("#b9770e"),
  deterioration: rgb("#c0392b"), missed: rgb("#c0392b"),
)
#let status(key, label) = text(fill: colours.at(key, default: luma(60)), weight: "bold", label)
#let datatable(columns, header, rows, size: 8.5pt) = text(size: size, table(
  columns: columns,
  stroke: 0.4pt + luma(190),
  inset: (x: 4pt, y: 3pt),
  fill: (_, y) => if y == 0 { luma(235) },
  table.header(..header.map(h => strong(h))),
  ..rows.flatten(),
))
#let muted(body) = text(fill: luma(110), body)
#let cover(title, subtitle, rows, note) = {
  v(3cm)
  block(width: 100%, stroke: (bottom: 1.2pt + accent), inset: (bottom: 10pt),
    text(size: 22pt, weight: "bold", fill: accent, hyphenate: false, title))
  if subtitle != "" { text(size: 13pt, subtitle) }
  v(1cm)
  grid(columns: (auto, 1fr), column-gutter: 14pt, row-gutter: 9pt,
    ..rows.map(r => (muted(r.at(0)), r.at(1))).flatten())
  if note != "" { v(1cm); block(fill: luma(240), inset: 8pt, radius: 3pt, width: 100%, note) }
  pagebreak()
}
"""
