"""The public lists as files: certificates and the auditors' registry, as CSV, XLSX or JSON.

The rows are those the pages and the API list (the caller filters the queryset by what the
person may see); each certificate carries its status on the day of the export, computed like on
the verification page. Text that would start a formula is neutralised (limpia.exchange.tabular).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from limpia.agreements import figures
from limpia.core.errors import DomainError
from limpia.exchange.workbooks import _json_value, _text, sheets_to_xlsx

FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
CERTIFICATE_COLUMNS = [
    "code",
    "agreement",
    "agreement_code",
    "company",
    "tax_id",
    "facility_code",
    "facility",
    "subdivision",
    "issued_on",
    "valid_until",
    "status",
    "status_reason",
    "revoked_on",
    "verification_url",
]
REGISTRY_COLUMNS = [
    "auditor_id",
    "kind",
    "name",
    "country",
    "specialities",
    "registered_from",
    "registered_until",
]


def certificate_table(certificates, *, today: dt.date, base_url: str = "") -> tuple[list, list]:
    """(header, rows) for `certificates` (a queryset from Certificate.objects.for_listing())."""
    certificates = list(certificates)
    states = figures.certificate_states(certificates, today=today)
    rows = []
    for c in certificates:
        state = states[c.pk]
        rows.append(
            [
                c.code,
                c.agreement.name,
                c.agreement.code,
                c.facility.company.name,
                c.facility.company.tax_id,
                c.facility.code,
                c.facility.name,
                c.facility.subdivision_id or "",
                c.issued_on,
                c.valid_until,
                state.status,
                state.reason,
                c.revoked_on,
                f"{base_url}/verify/{c.code}/",
            ]
        )
    return CERTIFICATE_COLUMNS, rows


def registry_table(experts) -> tuple[list, list]:
    """(header, rows) for `experts` (Expert.objects.public_list(day) or a filtered queryset)."""
    rows = [
        [
            e.auditor_id,
            e.kind,
            e.name,
            e.country_id or "",
            "; ".join(sorted(s.code for s in e.specialities.all())),
            e.registered_from,
            e.registered_until,
        ]
        for e in experts
    ]
    return REGISTRY_COLUMNS, rows


def render(name: str, header: list[str], rows: list[list[Any]], fmt: str) -> tuple[bytes, str]:
    """(content, content type) of one table as a CSV file, an XLSX workbook or a JSON list."""
    if fmt == "csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_text(v) for v in row])
        return ("\ufeff" + text.getvalue()).encode("utf-8"), CONTENT_TYPES[fmt]
    if fmt == "xlsx":
        return sheets_to_xlsx({name: (header, rows)}), CONTENT_TYPES[fmt]
    if fmt == "json":
        data = [dict(zip(header, (_json_value(v) for v in row), strict=True)) for row in rows]
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"), CONTENT_TYPES[fmt]
    raise DomainError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.", field="format")


def _write(name, header, rows, *, output, fmt, stdout) -> None:
    from pathlib import Path

    if fmt is None:
        suffix = Path(output).suffix.lower().lstrip(".") if output else ""
        fmt = suffix if suffix in FORMATS else ("csv" if not output else "xlsx")
    content, _type = render(name, header, rows, fmt)
    if output:
        Path(output).write_bytes(content)
        stdout.write(f"Wrote {output} ({len(rows)} rows).")
    elif fmt == "xlsx":
        raise DomainError("An xlsx export is a binary file: name it with -o FILE.")
    else:
        stdout.write(content.decode("utf-8-sig"))


def export_certificates_command(*, slug=None, output=None, fmt=None, stdout=None) -> None:
    """`limpia export certificates [AGREEMENT_SLUG] [-o FILE] [--format csv|xlsx|json]`."""
    import sys

    from django.utils import timezone

    from limpia.agreements.models import Agreement, Certificate

    certificates = Certificate.objects.for_listing().order_by("agreement__code", "code")
    if slug:
        if not Agreement.objects.filter(slug=slug).exists():
            raise DomainError(f"No agreement with slug {slug!r}.")
        certificates = certificates.filter(agreement__slug=slug)
    header, rows = certificate_table(certificates, today=timezone.localdate())
    _write("certificates", header, rows, output=output, fmt=fmt, stdout=stdout or sys.stdout)


def export_registry_command(*, slug=None, output=None, fmt=None, stdout=None) -> None:
    """`limpia export registry [-o FILE] [--format csv|xlsx|json]`: registered today."""
    import sys

    from django.utils import timezone

    from limpia.registry.models import Expert

    header, rows = registry_table(Expert.objects.public_list(timezone.localdate()))
    _write("registry", header, rows, output=output, fmt=fmt, stdout=stdout or sys.stdout)
