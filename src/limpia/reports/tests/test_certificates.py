"""Certificate PDFs: one A4 page from typst, user text kept out of the markup, a QR code."""

import dataclasses
import datetime as dt
import logging
import re
import shutil
import subprocess

import pytest
import segno

from limpia.reports.certificates import (
    CertificateDocument,
    certificate_pdf,
    qr_svg,
    render_certificate,
)

URL = "https://limpia.example.cl/verificar/APL-2025-0001?s=3f9a"

DOCUMENT = CertificateDocument(
    code="APL-2025-0001",
    issued_on=dt.date(2025, 3, 14),
    valid_until=dt.date(2027, 3, 13),
    facility_name="Planta Ñuñoa",
    facility_code="F-0042",
    facility_address="Av. Irarrázaval 1234, Ñuñoa, Santiago",
    company_name="Alimentos del Sur S.A.",
    company_tax_id="76.086.428-5",
    agreement_name="APL Sector Alimentos y Bebidas",
    agreement_code="APL-ALI-3",
    sector_label="Elaboración de productos alimenticios",
    verification_url=URL,
    status_label="Vigente",
    issuer="Agencia de Sustentabilidad y Cambio Climático",
)

HOSTILE = '#import "x": * $ x $ ] [ *bold* _em_ @label <tag> \\ ~ `raw` {code} // not a comment'


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=30
    )
    return done.stdout.decode("utf-8")


needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def test_it_renders_a_one_page_pdf_without_warnings():
    pdf, warnings = render_certificate(DOCUMENT)
    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) == 1
    assert [w.message for w in warnings] == []


def test_it_renders_on_a4_paper():
    pdf = certificate_pdf(DOCUMENT)
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert box is not None
    width, height = float(box.group(1)), float(box.group(2))
    assert (round(width), round(height)) == (595, 842)  # A4 in PostScript points


def test_it_puts_the_code_in_the_pdf_metadata():
    pdf = certificate_pdf(DOCUMENT)
    assert b"<pdf:Keywords>APL-2025-0001</pdf:Keywords>" in pdf
    assert "Certificado de Cumplimiento — Acuerdo de Producción Limpia".encode() in pdf


@needs_pdftotext
def test_it_prints_the_code_and_the_data(tmp_path):
    text = pdf_text(certificate_pdf(DOCUMENT), tmp_path)
    for expected in ("APL-2025-0001", "Planta Ñuñoa", "76.086.428-5", "2027-03-13", URL):
        assert expected in text


def test_it_renders_hostile_text_without_breaking(tmp_path):
    document = dataclasses.replace(
        DOCUMENT,
        facility_name=HOSTILE,
        company_name=HOSTILE,
        facility_address='"); #panic("boom") //',
        agreement_name="#{ panic() }",
        status_label="$ sum $",
        labels={"facility": "#set page(width: 1cm)", "title": "]#panic()["},
    )
    pdf, warnings = render_certificate(document)
    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) == 1
    assert [w.message for w in warnings] == []
    if shutil.which("pdftotext"):
        text = pdf_text(pdf, tmp_path)
        assert '#import "x"' in text and "*bold*" in text and "#{ panic() }" in text


def test_it_fits_long_values_on_one_page():
    long = "Compañía Procesadora de Alimentos y Bebidas del Pacífico Sur " * 3
    document = dataclasses.replace(
        DOCUMENT, company_name=long, facility_address=long, agreement_name=long
    )
    assert pages(certificate_pdf(document)) == 1


def test_it_uses_labels_in_other_languages():
    labels = {"title": "Certificate of Compliance — Clean Production Agreement", "code": "Code"}
    pdf = certificate_pdf(dataclasses.replace(DOCUMENT, language="en", labels=labels))
    assert b"Certificate of Compliance" in pdf  # in the XMP title
    assert b'xml:lang="en"' in pdf or b"/Lang(en)" in pdf


def test_it_renders_the_same_bytes_for_the_same_certificate():
    assert certificate_pdf(DOCUMENT) == certificate_pdf(DOCUMENT)


def test_it_logs_characters_the_embedded_fonts_lack(caplog):
    # Typst itself draws a blank box for a missing glyph and says nothing.
    document = dataclasses.replace(DOCUMENT, facility_name="Planta 北京 🙂 Ωмир ≥ ½ “q”")
    with caplog.at_level(logging.WARNING, logger="limpia.reports.certificates"):
        pdf = certificate_pdf(document)
    assert pdf.startswith(b"%PDF-")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert "APL-2025-0001" in messages[0] and messages[0].endswith("北京🙂")


def test_it_logs_nothing_for_latin_text(caplog):
    with caplog.at_level(logging.WARNING, logger="limpia.reports.certificates"):
        certificate_pdf(DOCUMENT)
    assert caplog.records == []


def test_it_encodes_the_verification_url_in_the_qr_code():
    svg = qr_svg(URL)
    assert svg.lstrip().startswith("<svg")
    assert "<path" in svg
    qr = segno.make(URL, error="m", micro=False)
    assert qr.mode == "byte"
    assert qr.error == "M"
    # The SVG is exactly segno's rendering of the URL (no decoder available to read it back).
    assert qr_svg(URL) == svg
    assert qr_svg(URL + "x") != svg
