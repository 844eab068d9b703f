"""Helpers of the report tests: a PDF's text with poppler's pdftotext, and its metadata."""

import re
import shutil
import subprocess

import pytest

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def page_text(pdf: bytes, tmp_path, page: int = 1) -> str:
    """The text of one page, whitespace collapsed (long titles wrap over lines)."""
    path = tmp_path / f"report-{page}.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return " ".join(done.stdout.decode("utf-8").split())


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def xmp_title(pdf: bytes) -> str:
    """The document title as typst writes it in the XMP metadata (UTF-8, no pdftotext needed)."""
    found = re.search(rb"<dc:title>.*?<rdf:li[^>]*>(.*?)</rdf:li>", pdf, re.DOTALL)
    assert found, "the PDF has no XMP title"
    return found.group(1).decode("utf-8").replace("&amp;", "&")
