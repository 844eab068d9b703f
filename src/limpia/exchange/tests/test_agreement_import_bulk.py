"""An agreement import writes in bulk: its query count does not grow with the facilities and
audit items of the workbook, and every row written still has its history row."""
# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from stdnum.cl import rut

from limpia.agreements.models import Adhesion, Audit, AuditItem, Company, Facility
from limpia.agreements.tests.conftest import organizations  # noqa: F401  fixture used by name
from limpia.exchange.templates_files import XLSX_TYPE
from limpia.exchange.tests.test_agreement_import import _xlsx

URL = "/api/v1/imports/agreement/"
ACTIONS = ("1.1", "1.2", "1.3", "1.4", "1.5")
ITEM_HEADER = [
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


def _tax_id(n: int) -> str:
    number = str(50_000_000 + n)
    return f"{number}-{rut.calc_check_digit(number)}"


def _sheets(facilities: int, *, failing: str = "1.5", name: str = "a") -> dict:
    """An agreement in implementation with `facilities` facilities of their own company, each
    with a final audit of the five actions; every third fails `failing` (80 %: a correction
    period) and every sixth is re-verified."""
    auditor = f"AUD-M-{name}"
    sheets = {
        "agreement": [
            ["key", "value"],
            ["slug", f"apl-masivo-{name}"],
            ["code", f"APL-MASIVO-{name.upper()}"],
            ["name", f"APL masivo {name}"],
            ["sectors", "1050"],
            ["territory", "CL"],
            ["signing_date", "2015-03-02"],
            ["adhesion_days", 90],
            ["duration_months", 36],
            ["stage", "implementation"],
        ],
        "signatories": [["organization", "role"], ["fedeleche", "business_association"]],
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
            [auditor, "Auditora Masiva", "2010-01-01", "2030-12-31", "1050"],
        ],
        "audit_items": [ITEM_HEADER],
    }
    offset = 0 if name == "a" else 100_000
    for n in range(1, facilities + 1):
        code = f"FM-{name}-{n:05d}"
        sheets["facilities"].append(
            [
                _tax_id(offset + n),
                f"Empresa {n}",
                "pequeña",
                code,
                f"Planta {n}",
                "CL-LL",
                "2015-04-01",
            ]
        )
        for action in ACTIONS:
            complies = "no" if n % 3 == 0 and action == failing else "yes"
            sheets["audit_items"].append(
                [code, "final", "2017-06-01", auditor, action, "yes", None, complies, None]
            )
        if n % 6 == 0:
            sheets["audit_items"].append(
                [code, "correction", "2017-08-01", auditor, failing, "yes", None, "yes", None]
            )
    return sheets


def _post(api, user, sheets) -> tuple[int, dict]:
    file = SimpleUploadedFile("apl.xlsx", _xlsx(sheets), content_type=XLSX_TYPE)
    with CaptureQueriesContext(connection) as queries:
        response = api(user).post(URL, {"file": file, "dry_run": "false"}, format="multipart")
    assert response.status_code == 201, response.json()
    return len(queries), response.json()


def _imported(api, user, facilities: int, name: str) -> tuple[int, int]:
    """Queries of a first import of `facilities` facilities, and of a second one changing two
    findings of every third."""
    first, _body = _post(api, user, _sheets(facilities, name=name))
    second, body = _post(api, user, _sheets(facilities, failing="1.4", name=name))
    assert body["counts"]["audit_items"]["update"] == 2 * (facilities // 3)
    return first, second


def test_its_query_count_does_not_grow_with_the_rows(api, organizations, ana):
    small = _imported(api, ana, 10, "a")
    large = _imported(api, ana, 100, "b")
    rows = 90 * 2 + 90 * 5 + 15  # facilities and adhesions, final audit items, corrections
    if connection.features.max_query_params is None:  # PostgreSQL: one statement per table
        assert large == small
    else:  # SQLite: Django splits an insert every 999 parameters (a few dozen rows)
        assert large[0] - small[0] <= rows // 25 and large[1] == small[1]
    assert Facility.objects.filter(code__startswith="FM-b-").count() == 100
    # 100 final audits of 5 items, 16 corrections of 1 item and then of 2
    assert AuditItem.objects.filter(audit__facility__code__startswith="FM-b-").count() == 532


def test_its_bulk_writes_keep_history_links_and_deadlines(api, organizations, ana):
    _post(api, ana, _sheets(12))
    facility = Facility.objects.get(code="FM-a-00003")
    record = facility.history.get()
    assert (record.history_user, record.history_change_reason, record.history_source) == (
        ana,
        "workbook import",
        "import",
    )
    for model in (Company, Facility, Adhesion, Audit, AuditItem):
        assert model.history.count() >= model.objects.count() > 0
    final = Audit.objects.get(facility=facility, audit_type="final")
    assert final.correction_deadline == dt.date(2017, 6, 1) + dt.timedelta(days=90)
    assert Audit.objects.get(facility=facility, audit_type="final").history.count() == 2
    passed = Audit.objects.get(facility__code="FM-a-00004", audit_type="final")
    assert passed.correction_deadline is None
    correction = Audit.objects.get(facility__code="FM-a-00006", audit_type="correction")
    assert correction.corrects == Audit.objects.get(facility__code="FM-a-00006", audit_type="final")
    assert Adhesion.objects.get(facility=facility).recorded_by == ana
    # The second import changes one finding per failing facility: one history row each.
    _post(api, ana, _sheets(12, failing="1.4"))
    item = AuditItem.objects.get(audit=final, action__code="1.4")
    assert (item.complies, item.version, item.history.count()) == (False, 2, 2)
    assert item.history.first().history_user == ana
