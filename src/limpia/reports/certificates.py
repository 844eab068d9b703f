"""Certificates of compliance with a cleaner production agreement, as one-page A4 PDFs.

Rendered with typst (the `typst` Python package; no network, no @preview packages). User
data never enters typst markup: it is written to data.json next to a fixed template that
reads it with `json("data.json")` and shows each value as a plain string, so text such as
`#import "x"`, `$`, `]` or `*` is printed literally. The QR code of the verification URL is
made with segno as SVG and placed with `image("qr.svg")`.

Only typst's embedded fonts are used (Libertinus Serif for text, DejaVu Sans Mono for the
code and URL), with system fonts ignored, so the output is the same on every machine and
needs no fonts installed. The PDF creation date is the issue date, so the same certificate
always renders to the same bytes.
"""

import datetime as dt
import io
import json
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import segno
import typst

logger = logging.getLogger(__name__)

DEFAULT_LABELS: dict[str, str] = {
    "title": "Certificado de Cumplimiento — Acuerdo de Producción Limpia",
    "code": "Código",
    "status": "Estado",
    "issued_on": "Fecha de emisión",
    "valid_until": "Válido hasta",
    "facility": "Instalación",
    "facility_code": "Código de instalación",
    "facility_address": "Dirección",
    "company": "Empresa",
    "company_tax_id": "RUT",
    "agreement": "Acuerdo",
    "agreement_code": "Código del acuerdo",
    "sector": "Sector",
    "issuer": "Emitido por",
    "verify": "Verifique la autenticidad de este certificado en",
}

TEMPLATE = r"""
#let d = json("data.json")
#let l = d.labels
#set document(title: l.title + " " + d.code, keywords: (d.code,), author: d.issuer)
#set page(paper: "a4", margin: (x: 2.2cm, y: 2.2cm),
  footer: align(center, text(size: 8pt, fill: luma(110), d.code)))
#set text(font: "Libertinus Serif", size: 11pt, lang: d.language)
#set par(justify: false)
#set smartquote(enabled: false)

#align(center)[
  #block(width: 100%, stroke: (bottom: 1.2pt + rgb("#1f6f8b")), inset: (bottom: 10pt))[
    #text(size: 20pt, weight: "bold", fill: rgb("#1f6f8b"), l.title)
  ]
]

#v(6pt)
#align(center, text(size: 13pt, [#l.code: #text(font: "DejaVu Sans Mono", d.code)]))
#align(center, text(size: 11pt, [#l.status: #strong(d.status_label)]))
#v(14pt)

#let row(key, value) = (text(fill: luma(80), key), value)
#grid(
  columns: (auto, 1fr),
  column-gutter: 14pt,
  row-gutter: 9pt,
  ..row(l.company, strong(d.company_name)),
  ..row(l.company_tax_id, d.company_tax_id),
  ..row(l.facility, strong(d.facility_name)),
  ..row(l.facility_code, d.facility_code),
  ..row(l.facility_address, d.facility_address),
  ..row(l.agreement, d.agreement_name),
  ..row(l.agreement_code, d.agreement_code),
  ..row(l.sector, d.sector_label),
  ..row(l.issued_on, d.issued_on),
  ..row(l.valid_until, d.valid_until),
  ..row(l.issuer, d.issuer),
)

#v(1fr)
#align(center)[
  #image("qr.svg", width: 4.2cm)
  #v(2pt)
  #text(size: 9pt, l.verify) \
  #text(font: "DejaVu Sans Mono", size: 8.5pt, d.verification_url)
]
"""


@dataclass(frozen=True)
class CertificateDocument:
    code: str
    issued_on: dt.date
    valid_until: dt.date | None
    facility_name: str
    facility_code: str
    facility_address: str
    company_name: str
    company_tax_id: str  # already formatted, e.g. "76.086.428-5"
    agreement_name: str
    agreement_code: str
    sector_label: str
    verification_url: str
    status_label: str
    issuer: str
    language: str = "es"  # "es", "en" or "pt": hyphenation and the PDF's language
    labels: Mapping[str, str] = field(default_factory=dict)  # over DEFAULT_LABELS


def qr_svg(url: str) -> str:
    """The QR code of `url` as SVG text (error correction M, quiet zone kept)."""
    qr = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=4, border=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def _payload(data: CertificateDocument) -> dict:
    return {
        "code": data.code,
        "issued_on": _date(data.issued_on),
        "valid_until": _date(data.valid_until),
        "facility_name": data.facility_name,
        "facility_code": data.facility_code,
        "facility_address": data.facility_address,
        "company_name": data.company_name,
        "company_tax_id": data.company_tax_id,
        "agreement_name": data.agreement_name,
        "agreement_code": data.agreement_code,
        "sector_label": data.sector_label,
        "verification_url": data.verification_url,
        "status_label": data.status_label,
        "issuer": data.issuer,
        "language": data.language if data.language in ("es", "en", "pt") else "es",
        "labels": {**DEFAULT_LABELS, **{k: str(v) for k, v in data.labels.items()}},
    }


def render_certificate(data: CertificateDocument) -> tuple[bytes, list]:
    """The PDF and typst's warnings (none for missing glyphs: see uncovered_characters)."""
    payload = _payload(data)
    for key, value in payload.items():
        if key != "labels" and not isinstance(value, str):
            raise TypeError(f"Certificate field {key} must be text, not {type(value).__name__}.")
    timestamp = dt.datetime.combine(data.issued_on, dt.time(12), tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory(prefix="limpia-certificate-") as directory:
        root = Path(directory)
        (root / "data.json").write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        (root / "qr.svg").write_text(qr_svg(data.verification_url), "utf-8")
        (root / "certificate.typ").write_text(TEMPLATE, "utf-8")
        pdf, warnings = typst.compile_with_warnings(
            str(root / "certificate.typ"),
            root=str(root),
            font_paths=[],
            ignore_system_fonts=True,
            format="pdf",
            timestamp=timestamp,
        )
    return pdf, list(warnings)


def uncovered_characters(text: str) -> str:
    """Characters the embedded fonts probably lack (CJK, emoji, ...), in order of appearance.

    Typst draws a blank box for a missing glyph without any warning, so this rough check of
    Unicode blocks (Latin, Greek, Cyrillic, punctuation and common symbols are covered by
    Libertinus Serif with DejaVu Sans Mono as fallback) is the only notice there is.
    """
    found = []
    for char in text:
        code = ord(char)
        covered = (
            code < 0x0530
            or 0x1E00 <= code <= 0x1FFF
            or 0x2000 <= code <= 0x2BFF
            or char == "\ufeff"
        )
        if not covered and char not in found:
            found.append(char)
    return "".join(found)


def certificate_pdf(data: CertificateDocument) -> bytes:
    """A one-page A4 PDF certificate; typst warnings and likely missing glyphs are logged."""
    pdf, warnings = render_certificate(data)
    for warning in warnings:
        logger.warning("Certificate %s: typst warning: %s", data.code, warning.message)
    text = json.dumps(_payload(data), ensure_ascii=False)
    missing = uncovered_characters(text)
    if missing:
        logger.warning(
            "Certificate %s: characters without a glyph in the embedded fonts: %s",
            data.code,
            missing,
        )
    return pdf
