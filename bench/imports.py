"""The import benchmark: an agreement workbook of about 10,000 rows, imported as the product
imports it (parse, preview, write in one transaction) and, for the floor, read with openpyxl
and bulk inserted into the same tables without validation or history. Both are rolled back,
so the database is left as generated and the measure can be repeated."""

from __future__ import annotations

import io
import time

import openpyxl
from django.db import transaction
from stdnum.cl import rut

ACTIONS = ("1.1", "1.2", "1.3", "1.4")
SLUG = "bench-import"
TAX_BASE = 60_000_000  # synthetic companies start at 76,000,000


class _Rollback(Exception):
    pass


def workbook(rows: int = 10_000) -> tuple[bytes, int]:
    """An agreement workbook with rows // 5 facilities of their own company, each with a final
    audit of four actions: about `rows` rows in the facilities and audit_items sheets. Returns
    the file and its exact number of data rows."""
    facilities = max(1, rows // (1 + len(ACTIONS)))
    book = openpyxl.Workbook(write_only=True)
    sheets = {
        "agreement": [
            ["key", "value"],
            ["slug", SLUG],
            ["code", "BENCH-IMPORT"],
            ["name", "APL del benchmark de importación"],
            ["sectors", "1050"],
            ["territory", "CL"],
            ["signing_date", "2015-03-02"],
            ["adhesion_days", 90],
            ["duration_months", 36],
            ["stage", "implementation"],
        ],
        "signatories": [["organization", "role"], ["Gremio del benchmark", "business_association"]],
        "goals": [["code", "title"], ["1", "Uso eficiente del agua"]],
        "actions": [["code", "goal_code", "text", "responsible"]]
        + [[code, "1", f"Acción {code}", "company"] for code in ACTIONS],
        "facilities": [
            [
                "company_tax_id",
                "company_name",
                "size",
                "facility_code",
                "facility_name",
                "subdivision",
                "adhesion_date",
            ]
        ],
        "auditors": [
            ["auditor_id", "name", "registered_from", "registered_until", "specialities"],
            ["BENCH-AUD-1", "Auditora del benchmark", "2010-01-01", "2030-12-31", "1050"],
        ],
        "audit_items": [
            [
                "facility_code",
                "audit_type",
                "audit_date",
                "auditor_id",
                "action_code",
                "applies",
                "reason",
                "complies",
                "observation",
            ]
        ],
    }
    for n in range(1, facilities + 1):
        body = str(TAX_BASE + n)
        code = f"BENCH-F{n:06d}"
        sheets["facilities"].append(
            [
                f"{body}-{rut.calc_check_digit(body)}",
                f"Empresa del benchmark {n}",
                "pequeña",
                code,
                f"Planta {n}",
                "CL-RM",
                "2015-04-01",
            ]
        )
        for action in ACTIONS:
            complies = "no" if n % 4 == 0 and action == "1.4" else "yes"
            sheets["audit_items"].append(
                [code, "final", "2017-06-01", "BENCH-AUD-1", action, "yes", None, complies, None]
            )
    total = sum(len(rows) - 1 for rows in sheets.values())
    for name, content in sheets.items():
        sheet = book.create_sheet(name)
        for row in content:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), total


def product_import(data: bytes, user) -> tuple[float, int]:
    """Seconds and queries of the product's import (parse + apply), rolled back."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from limpia.exchange.agreement_import import apply, parse_agreement_workbook

    started = time.perf_counter()
    try:
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            result = apply(parse_agreement_workbook(io.BytesIO(data)), acting_user=user)
            assert not result.errors
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, len(queries)


def floor_import(data: bytes) -> float:
    """Seconds to read the same rows with openpyxl and bulk insert them (companies, facilities,
    adhesions, audits, audit items) with no validation and no history, rolled back."""
    from limpia.agreements.models import (
        Action,
        Adhesion,
        Agreement,
        Audit,
        AuditItem,
        Company,
        Facility,
        Goal,
    )
    from limpia.registry.models import Expert

    started = time.perf_counter()
    try:
        with transaction.atomic():
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            facility_rows = list(book["facilities"].iter_rows(min_row=2, values_only=True))
            item_rows = list(book["audit_items"].iter_rows(min_row=2, values_only=True))
            agreement = Agreement.objects.create(
                slug=SLUG, code="BENCH-IMPORT", name="APL", country_id="CL", stage="implementation"
            )
            goal = Goal.objects.create(agreement=agreement, code="1", title="Agua")
            actions = {
                a.code: a
                for a in Action.objects.bulk_create(
                    [Action(goal=goal, code=code, text=code) for code in ACTIONS]
                )
            }
            expert = Expert.objects.create(
                auditor_id="BENCH-AUD-1", kind="auditor", name="Auditora", country_id="CL"
            )
            companies = Company.objects.bulk_create(
                [
                    Company(country_id="CL", tax_id=rut.compact(r[0]), name=r[1], size=r[2])
                    for r in facility_rows
                ],
                batch_size=2000,
            )
            facilities = Facility.objects.bulk_create(
                [
                    Facility(company=c, code=r[3], name=r[4], subdivision_id=None)
                    for c, r in zip(companies, facility_rows, strict=True)
                ],
                batch_size=2000,
            )
            Adhesion.objects.bulk_create(
                [
                    Adhesion(agreement=agreement, facility=f, adhered_on=r[6])
                    for f, r in zip(facilities, facility_rows, strict=True)
                ],
                batch_size=2000,
            )
            by_code = {f.code: f for f in facilities}
            audits = {}
            for r in item_rows:
                if r[0] not in audits:
                    audits[r[0]] = Audit(
                        agreement=agreement,
                        facility=by_code[r[0]],
                        auditor=expert,
                        audit_type="final",
                        audit_date=r[2],
                        status="submitted",
                    )
            Audit.objects.bulk_create(list(audits.values()), batch_size=2000)
            AuditItem.objects.bulk_create(
                [
                    AuditItem(
                        audit=audits[r[0]],
                        action=actions[r[4]],
                        applies=r[5] == "yes",
                        complies=r[7] == "yes",
                    )
                    for r in item_rows
                ],
                batch_size=2000,
            )
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed
