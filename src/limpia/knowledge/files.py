"""What an uploaded file really is, from its first bytes: the name and the browser's
declared type are not trusted.

Accepted: PDF, DOCX, XLSX (ZIP packages holding the Word or Excel part), PNG and JPEG.
Everything else is refused, and HTML, SVG (XML) and executables with a message that says
so, because a browser would run them. Files are stored under a name of our making with the
extension of the type found, and served as attachments (see views.download).
"""

import io
import zipfile

from django.utils.translation import gettext as _

from limpia.core.errors import DomainError

MAX_BYTES = 20 * 1024 * 1024

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "jpeg": "image/jpeg",
}
EXTENSIONS = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "png": "png", "jpeg": "jpg"}

_EXECUTABLES = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa", b"#!")
_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe")


def _refuse(message: str) -> DomainError:
    return DomainError(message, field="file", code="invalid_file")


def _office_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def sniff(upload) -> str:
    """The file type ("pdf", "docx", "xlsx", "png" or "jpeg") of an uploaded file, read from
    its content; DomainError(field="file") when it is too large or not one of those."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _refuse(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": MAX_BYTES // 1024 // 1024}
        )
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    upload.seek(0)
    if len(data) > MAX_BYTES:
        raise _refuse(
            _("The file is larger than the limit of %(limit)s MB.")
            % {"limit": MAX_BYTES // 1024 // 1024}
        )
    if not data:
        raise _refuse(_("The file is empty."))
    head = data[:1024]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        found = _office_type(data)
        if found:
            return found
        raise _refuse(_("The file is a ZIP archive, not a Word (DOCX) or Excel (XLSX) document."))
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in text for marker in _MARKUP):
        raise _refuse(
            _("The file is a web page (HTML, SVG or XML), whatever its name says; upload a PDF.")
        )
    if head.startswith(_EXECUTABLES):
        raise _refuse(_("The file is a program or a script; such files are not accepted."))
    raise _refuse(_("The file is not a PDF, Word (DOCX), Excel (XLSX), PNG or JPEG document."))
