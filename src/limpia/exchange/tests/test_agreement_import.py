"""The agreement workbook: export → import round trips, refusals file by file, historical
agreements at their stage, Spanish labels, permissions, the CLI."""
# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import datetime as dt
import io
import json
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    Company,
    Facility,
    Goal,
    Signatory,
    StageChange,
)
from limpia.agreements.sample import sample_agreements_load
from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures used by name
    apl,
    aurora,
    cora,
    facilities,
    grande,
    lacteos,
    organizations,
)
from limpia.agreements.tests.helpers import adhere, run_audit, set_stage
from limpia.core.errors import NotAllowed
from limpia.core.models import Organization
from limpia.exchange.agreement_import import (
    ImportRefused,
    apply,
    load_state,
    parse_agreement_workbook,
    preview,
)
from limpia.exchange.agreement_workbooks import export_agreement, export_agreement_command
from limpia.registry.models import Expert

# ---------------------------------------------------------------- helpers


def _sheets():
    """A small historical agreement, closed, as sheet → rows (header first)."""
    return {
        "agreement": [
            ["key", "value"],
            ["slug", "apl-historico"],
            ["code", "APL-HIST-01"],
            ["name", "APL Lácteo histórico"],
            ["sectors", "1050"],
            ["territory", "CL"],
            ["signing_date", "2015-03-02"],
            ["adhesion_days", 90],
            ["duration_months", 24],
            ["stage", "closed"],
        ],
        "signatories": [
            ["organization", "role"],
            ["fedeleche", "business_association"],
            ["Superintendencia de Ejemplo", "regulator"],
        ],
        "goals": [
            ["code", "title"],
            ["1", "Uso eficiente del agua"],
            ["2", "Gestión de residuos"],
        ],
        "actions": [
            [
                "code",
                "goal_code",
                "text",
                "deadline_months",
                "deadline_from",
                "responsible",
                "applies_to_sizes",
            ],
            ["1.1", "1", "Medir el consumo de agua", 6, "adhesion_end", "company", None],
            ["1.2", "1", "Reducir el consumo en 10 %", 12, "adhesion_end", "company", None],
            ["2.1", "2", "Planta de tratamiento de RILes", None, None, "company", "grande"],
            ["2.2", "2", "Informe consolidado del sector", None, None, "association", None],
        ],
        "facilities": [
            [
                "company_tax_id",
                "company_name",
                "size",
                "facility_code",
                "facility_name",
                "subdivision",
                "adhesion_date",
            ],
            [
                "76.086.428-5",
                "Lácteos del Sur",
                "pequeña",
                "F-1",
                "Planta Osorno",
                "CL-LL",
                "2015-04-01",
            ],
            [
                "77.123.456-9",
                "Quesos del Norte",
                "grande",
                "F-2",
                "Planta Calama",
                "CL-AN",
                "01/05/2015",
            ],
        ],
        "auditors": [
            ["auditor_id", "name", "registered_from", "registered_until", "specialities"],
            ["AUD-H1", "Auditora Histórica", "2010-01-01", "2020-12-31", "1050"],
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
            ],
            ["F-1", "final", "2017-06-01", "AUD-H1", "1.1", "yes", None, "yes", None],
            ["F-1", "final", "2017-06-01", "AUD-H1", "1.2", "yes", None, "no", "Sin medición"],
            ["F-2", "final", "2017-06-02", "AUD-H1", "1.1", "yes", None, "yes", None],
            ["F-2", "final", "2017-06-02", "AUD-H1", "1.2", "no", "No usa agua", None, None],
            ["F-2", "final", "2017-06-02", "AUD-H1", "2.1", "yes", None, "yes", None],
        ],
    }


def _xlsx(sheets) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MODELS = (
    Agreement,
    StageChange,
    Signatory,
    Goal,
    Action,
    Company,
    Facility,
    Adhesion,
    Audit,
    AuditItem,
    Expert,
    Organization,
)


def _snapshot():
    counts = [m.objects.count() for m in MODELS]
    counts += [m.history.count() for m in MODELS if hasattr(m, "history")]
    return counts


def _import(data, user=None, system=False):
    return apply(parse_agreement_workbook(data), acting_user=user, system=system)


def _check(data, user=None, system=False):
    parsed = parse_agreement_workbook(data)
    return preview(parsed, load_state(parsed), acting_user=user, system=system)


def _set(sheet, row, column, value):
    def change(sheets):
        if sheet == "agreement":
            index = [r[0] for r in sheets["agreement"]].index(row)
            sheets["agreement"][index][1] = value
            return
        index = sheets[sheet][0].index(column)
        sheets[sheet][row - 1][index] = value

    return change


def _edit(*changes):
    def build():
        sheets = _sheets()
        for change in changes:
            change(sheets)
        return _xlsx(sheets)

    return build


@pytest.fixture
def samples(organizations):
    sample_agreements_load()


@pytest.fixture
def audited_apl(apl, facilities, aurora, cora, ana):
    """The `apl` fixture with its three facilities adhered and two final audits submitted."""
    adhere(apl, *facilities.values())
    set_stage(apl, "implementation")
    findings = {"1.1": True, "1.2": False, "2.1": True}
    run_audit(cora, apl, facilities["A1"], aurora, findings, audit_date=dt.date(2025, 6, 2))
    run_audit(
        cora,
        apl,
        facilities["B1"],
        aurora,
        {**findings, "1.2": None, "2.2": True},
        audit_date=dt.date(2025, 6, 3),
    )
    return apl


# ---------------------------------------------------------------- round trips


def test_it_reimports_each_sample_agreement_without_changing_anything(samples, ana):
    agreements = list(Agreement.objects.filter(is_sample=True).order_by("code"))
    assert len(agreements) == 8
    assert AuditItem.objects.exists() and Adhesion.objects.exists()
    for agreement in agreements:
        data = export_agreement(agreement, "xlsx")
        before = _snapshot()
        result = _import(data, ana)
        assert result.changed() == [], agreement.code
        assert _snapshot() == before, agreement.code
    assert any(w.sheet == "compliance" for w in result.warnings)


def test_it_reimports_a_sample_agreement_from_a_zip_of_csv_files(samples, ana):
    agreement = Agreement.objects.get(code="APL-EJ-PANADE")
    data = export_agreement(agreement, "csv")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "compliance.csv" in archive.namelist()
    before = _snapshot()
    result = _import(data, ana)
    counts = result.counts()
    assert counts["audit_items"]["unchanged"] > 50
    assert counts["facilities"]["unchanged"] == 40
    assert result.changed() == []
    assert _snapshot() == before


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_it_round_trips_the_audited_apl_fixture(audited_apl, ana, cora, fmt):
    data = export_agreement(audited_apl, fmt)
    before = _snapshot()
    for user in (ana, cora):
        result = _import(data, user)
        assert result.changed() == []
        assert result.counts()["audit_items"]["unchanged"] == 7
        assert result.counts()["facilities"]["unchanged"] == 3
    assert _snapshot() == before


def test_it_exports_the_compliance_sheet_and_json(audited_apl):
    data = export_agreement(audited_apl, "json")
    assert list(data) == [
        "agreement",
        "signatories",
        "goals",
        "actions",
        "facilities",
        "auditors",
        "audit_items",
        "compliance",
    ]
    assert data["compliance"][0]["level"] == "agreement"
    # A1 complies with 2 of its 3 applicable actions, B1 with 3 of 3: the mean is 83.3 %
    assert data["compliance"][0]["compliance_percent"] == 83.3
    assert {row["facility_code"] for row in data["facilities"]} == {"A1", "A2", "B1"}
    assert data["audit_items"][0]["applies"] == "yes"


def test_it_updates_exactly_one_row_when_a_goal_title_is_edited(audited_apl, ana):
    workbook = openpyxl.load_workbook(io.BytesIO(export_agreement(audited_apl, "xlsx")))
    workbook["goals"].cell(row=3, column=2).value = "Gestión integral de residuos"
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = _snapshot()
    result = _import(buffer.getvalue(), ana)
    assert [(r.sheet, r.row, r.action, r.changes) for r in result.changed()] == [
        ("goals", 3, "update", ["title"])
    ]
    assert Goal.objects.get(agreement=audited_apl, code="2").title == (
        "Gestión integral de residuos"
    )
    assert _snapshot() == before


def test_it_neutralises_formula_like_text(audited_apl, ana):
    goal = Goal.objects.get(agreement=audited_apl, code="1")
    goal.title = '=HYPERLINK("http://example.com")'
    goal.save()
    data = export_agreement(audited_apl, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook["goals"]["B2"].value == '\'=HYPERLINK("http://example.com")'
    assert workbook["goals"]["B2"].data_type == "s"
    assert export_agreement(audited_apl, "json")["goals"][0]["title"].startswith("'=")
    assert _import(data, ana).changed() == []


# ---------------------------------------------------------------- a historical agreement


def test_it_imports_a_historical_agreement_at_its_stage(organizations, lacteos, ana):
    before_companies = Company.objects.count()
    result = _import(_xlsx(_sheets()), ana)
    agreement = Agreement.objects.get(slug="apl-historico")
    assert agreement.stage == "closed"
    assert agreement.signing_date == dt.date(2015, 3, 2)
    assert list(agreement.sectors.values_list("code", flat=True)) == ["1050"]
    change = StageChange.objects.get(agreement=agreement)
    assert (change.from_stage, change.to_stage, change.imported, change.changed_by) == (
        "",
        "closed",
        True,
        ana,
    )
    assert Company.objects.count() == before_companies + 1  # Lácteos del Sur is matched
    assert ("company", "Lácteos del Sur", "matched", "760864285") in result.named
    assert ("company", "Quesos del Norte", "created", "771234569") in result.named
    assert (
        "organization",
        "Superintendencia de Ejemplo",
        "created",
        "superintendencia-de-ejemplo",
    ) in result.named
    assert Organization.objects.get(key="superintendencia-de-ejemplo").kind == "regulator"
    audits = Audit.objects.filter(agreement=agreement).order_by("audit_date")
    assert [(a.facility.code, a.status, a.auditor.auditor_id) for a in audits] == [
        ("F-1", "submitted", "AUD-H1"),
        ("F-2", "submitted", "AUD-H1"),
    ]
    f1 = audits[0]
    assert f1.correction_deadline is None  # 50 % is not above the 75 % threshold
    item = AuditItem.objects.get(audit=audits[1], action__code="1.2")
    assert (item.applies, item.complies, item.reason) == (False, None, "No usa agua")
    assert item.history.first().history_user == ana
    assert Adhesion.objects.get(agreement=agreement, facility__code="F-2").adhered_on == (
        dt.date(2015, 5, 1)
    )
    expert = Expert.objects.get(auditor_id="AUD-H1")
    assert list(expert.specialities.values_list("code", flat=True)) == ["1050"]
    # Again, and its own export: nothing changes, no second stage change.
    before = _snapshot()
    assert _import(_xlsx(_sheets()), ana).changed() == []
    assert _import(export_agreement(agreement, "xlsx"), ana).changed() == []
    assert _snapshot() == before


def test_it_links_a_correction_to_the_final_audit_it_re_verifies(organizations, ana):
    sheets = _sheets()
    for code in ("1.3", "1.4", "1.5"):
        sheets["actions"].append([code, "1", f"Acción {code}", None, None, "company", None])
        sheets["audit_items"].append(
            ["F-1", "final", "2017-06-01", "AUD-H1", code, "yes", None, "yes", None]
        )
        sheets["audit_items"].append(
            ["F-2", "final", "2017-06-02", "AUD-H1", code, "yes", None, "yes", None]
        )
    sheets["audit_items"][5][7] = "no"  # F-2 fails 2.1: 4 of 5 applicable, 80 %
    sheets["audit_items"].append(
        ["F-2", "reverificación", "2017-08-01", "AUD-H1", "2.1", "sí", None, "sí", None]
    )
    _import(_xlsx(sheets), ana)
    final = Audit.objects.get(facility__code="F-2", audit_type="final")
    correction = Audit.objects.get(facility__code="F-2", audit_type="correction")
    assert final.correction_deadline == dt.date(2017, 6, 2) + dt.timedelta(days=90)
    assert correction.corrects == final
    assert correction.validated_at is None  # the coordinator validates it in Limpia
    assert _import(_xlsx(sheets), ana).changed() == []


def test_it_records_an_imported_stage_change_on_an_existing_agreement(apl, ana):
    workbook = openpyxl.load_workbook(io.BytesIO(export_agreement(apl, "xlsx")))
    sheet = workbook["agreement"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "stage":
            row[1].value = "cerrado"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = _import(buffer.getvalue(), ana)
    assert [(r.sheet, r.changes) for r in result.changed()] == [("agreement", ["stage"])]
    apl.refresh_from_db()
    assert apl.stage == "closed"
    change = StageChange.objects.get(agreement=apl)
    assert (change.from_stage, change.to_stage, change.imported, change.changed_by) == (
        "signed",
        "closed",
        True,
        ana,
    )


def test_it_accepts_spanish_labels(organizations, ana):
    sheets = _sheets()
    _set("agreement", "stage", None, "Cerrado")(sheets)
    sheets["signatories"][1][1] = "asociación gremial"
    sheets["signatories"][2][1] = "fiscalizador"
    sheets["actions"][0] += ["scope"]
    for row in sheets["actions"][1:]:
        row.append("instalación")
    sheets["actions"][1][4] = "fin de la adhesión"
    sheets["actions"][2][4] = "firma"
    sheets["actions"][3][6] = "gran empresa"
    sheets["actions"][4][5] = "asociación"
    sheets["facilities"][1][2] = "Pequeña"
    sheets["facilities"][2][2] = "Grande"
    for row in sheets["audit_items"][1:]:
        row[1] = "auditoría final"
        row[5] = {"yes": "sí", "no": "No"}[row[5]]
        row[7] = {"yes": "Sí", "no": "no", None: None}[row[7]]
    result = _import(_xlsx(sheets), ana)
    assert result.errors == []
    agreement = Agreement.objects.get(slug="apl-historico")
    assert agreement.stage == "closed"
    roles = set(Signatory.objects.filter(agreement=agreement).values_list("role", flat=True))
    assert roles == {"business_association", "regulator"}
    actions = {a.code: a for a in Action.objects.filter(goal__agreement=agreement)}
    assert actions["1.2"].deadline_from == "signing"
    assert actions["2.1"].applies_to_sizes == ["grande"]
    assert actions["2.2"].responsible == "association"
    assert actions["1.1"].scope == "facility"
    assert Company.objects.get(tax_id="760864285").size == "pequeña"
    assert AuditItem.objects.filter(audit__agreement=agreement, complies=True).count() == 3
    # The same data with English codes changes nothing.
    english = _sheets()
    english["actions"][2][4] = "signing"
    english["actions"][0] += ["scope"]
    for row in english["actions"][1:]:
        row.append("facility")
    assert _import(_xlsx(english), ana).changed() == []


# ---------------------------------------------------------------- refusals, file by file


def _drop_row(sheet, row):
    def change(sheets):
        del sheets[sheet][row - 1]

    return change


BAD_FILES = [
    # (name, changes, sheet, row, column, message fragment)
    (
        "bad RUT",
        [_set("facilities", 2, "company_tax_id", "76.086.428-9")],
        "facilities",
        2,
        "company_tax_id",
        "expected a valid RUT of CL: “76.086.428-9”",
    ),
    (
        "unknown stage",
        [_set("agreement", "stage", None, "terminado")],
        "agreement",
        10,
        "stage",
        "expected one of interest, admissibility",
    ),
    (
        "unknown role",
        [_set("signatories", 3, "role", "amigo")],
        "signatories",
        3,
        "role",
        "expected one of business_association, public_body, regulator, funding_agency",
    ),
    (
        "action for an unknown goal",
        [_set("actions", 3, "goal_code", "9")],
        "actions",
        3,
        "goal_code",
        "expected the code of a goal of this agreement, not '9'",
    ),
    (
        "duplicate facility code",
        [_set("facilities", 3, "facility_code", "F-1")],
        "facilities",
        3,
        "facility_code",
        "the facility code 'F-1' is already used in row 2",
    ),
    (
        "audit item for an unknown action",
        [_set("audit_items", 3, "action_code", "7.7")],
        "audit_items",
        3,
        "action_code",
        "expected the code of an action of this agreement, not '7.7'",
    ),
    (
        "applies without complies",
        [_set("audit_items", 3, "complies", None)],
        "audit_items",
        3,
        "complies",
        "an item that applies says whether the facility complies",
    ),
    (
        "does not apply without a reason",
        [_set("audit_items", 5, "reason", None)],
        "audit_items",
        5,
        "reason",
        "say why the action does not apply",
    ),
    (
        "unknown auditor",
        [
            _set("audit_items", 2, "auditor_id", "NADIE"),
            _set("audit_items", 3, "auditor_id", "NADIE"),
        ],
        "audit_items",
        2,
        "auditor_id",
        "expected the id of an auditor of the auditors sheet or the registry, not 'NADIE'",
    ),
    (
        "auditor not registered on the audit date",
        [_set("auditors", 2, "registered_until", "2016-12-31")],
        "audit_items",
        2,
        "auditor_id",
        "AUD-H1 is not a registered auditor on 2017-06-01",
    ),
    (
        "adhesion date not a date",
        [_set("facilities", 2, "adhesion_date", "pronto")],
        "facilities",
        2,
        "adhesion_date",
        "expected a date (YYYY-MM-DD, dd/mm/yyyy or an Excel date), not 'pronto'",
    ),
    (
        "size not a size",
        [_set("facilities", 3, "size", "enorme")],
        "facilities",
        3,
        "size",
        "expected one of micro, pequeña, mediana, grande",
    ),
    (
        "unknown subdivision",
        [_set("facilities", 2, "subdivision", "CL-ZZ")],
        "facilities",
        2,
        "subdivision",
        "expected an ISO 3166-2 code or the name of a subdivision of CL",
    ),
    (
        "formula in a cell",
        [_set("goals", 2, "title", "=A1&B1")],
        "goals",
        2,
        "title",
        "a formula ('=A1&B1') where a value is expected",
    ),
    (
        "audit of a facility not in the facilities sheet",
        [_set("audit_items", 2, "facility_code", "F-9")],
        "audit_items",
        2,
        "facility_code",
        "expected the code of a facility of the facilities sheet, not 'F-9'",
    ),
    (
        "submitted audit missing an applicable action",
        [_drop_row("audit_items", 6)],
        "audit_items",
        4,
        "action_code",
        "has no items for the applicable actions 2.1",
    ),
    (
        "action of another company size",
        [_set("audit_items", 3, "action_code", "2.1")],
        "audit_items",
        3,
        "action_code",
        "action 2.1 is not audited at this facility",
    ),
    (
        "unknown territory",
        [_set("agreement", "territory", None, "Narnia")],
        "agreement",
        6,
        "territory",
        "expected an ISO country code (CL) or ISO 3166-2 subdivision codes",
    ),
    (
        "unknown sector",
        [_set("agreement", "sectors", None, "1050; 9999")],
        "agreement",
        5,
        "sectors",
        "expected ISIC Rev.4 codes separated by ';', not '9999'",
    ),
    (
        "closed without a signing date",
        [_set("agreement", "signing_date", None, None)],
        "agreement",
        7,
        "signing_date",
        "an agreement in stage 'closed' needs its signing date",
    ),
    (
        "missing sheet",
        [lambda sheets: sheets.pop("auditors")],
        "auditors",
        None,
        None,
        "the sheet is missing",
    ),
    (
        "audit in the future",
        [_set("audit_items", 2, "audit_date", "2999-01-01")],
        "audit_items",
        2,
        "audit_date",
        "expected a date not in the future",
    ),
    (
        "duplicate goal code",
        [_set("goals", 3, "code", "1")],
        "goals",
        3,
        "code",
        "the goal code '1' is already used in row 2",
    ),
    (
        "company with two names",
        [
            _set("facilities", 3, "company_tax_id", "760864285"),
            _set("facilities", 3, "size", "pequeña"),
        ],
        "facilities",
        3,
        "company_name",
        "a company has one name and size",
    ),
]


@pytest.mark.parametrize(
    ("changes", "sheet", "row", "column", "message"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_it_refuses_a_bad_file_naming_sheet_row_and_column(
    organizations, lacteos, ana, changes, sheet, row, column, message
):
    data = _edit(*changes)()
    before = _snapshot()
    with pytest.raises(ImportRefused) as refused:
        _import(data, ana)
    places = [(e.sheet, e.row, e.column) for e in refused.value.errors if message in e.message]
    assert (sheet, row, column) in places, [str(e) for e in refused.value.errors]
    assert _snapshot() == before


def test_it_refuses_a_file_that_is_not_a_workbook(organizations, ana):
    with pytest.raises(ImportRefused, match="not a workbook"):
        _import(b"slug,code\nx,y\n", ana)


def test_it_collects_every_error_in_one_pass(organizations, ana):
    data = _edit(
        _set("signatories", 3, "role", "amigo"),
        _set("actions", 3, "goal_code", "9"),
        _set("facilities", 2, "company_tax_id", "76.086.428-9"),
        _set("audit_items", 6, "complies", None),
    )()
    result = _check(data, ana)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        ("signatories", 3, "role"),
        ("actions", 3, "goal_code"),
        ("facilities", 2, "company_tax_id"),
        ("audit_items", 6, "complies"),
    ]


# ---------------------------------------------------------------- permissions


def test_it_lets_only_administrators_create_agreements(organizations, cora, carlos):
    before = _snapshot()
    for user in (cora, carlos):
        with pytest.raises(NotAllowed):
            _import(_xlsx(_sheets()), user)
    assert _snapshot() == before


def test_it_refuses_registry_and_stage_changes_from_a_coordinator(audited_apl, cora, carlos):
    workbook = openpyxl.load_workbook(io.BytesIO(export_agreement(audited_apl, "xlsx")))
    workbook["auditors"].append(["AUD-NEW", "Auditor Nuevo", "2020-01-01", None, None])
    for row in workbook["agreement"].iter_rows(min_row=2):
        if row[0].value == "stage":
            row[1].value = "closed"
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = _snapshot()
    with pytest.raises(ImportRefused) as refused:
        _import(buffer.getvalue(), cora)
    messages = [str(e) for e in refused.value.errors]
    assert any("only an administrator may add or change auditors" in m for m in messages)
    assert any("only an administrator may move an agreement's stage" in m for m in messages)
    with pytest.raises(NotAllowed):
        _import(buffer.getvalue(), carlos)
    assert _snapshot() == before


# ---------------------------------------------------------------- the terminal


def test_it_previews_with_dry_run_and_writes_nothing(organizations, tmp_path, capsys):
    path = tmp_path / "apl.xlsx"
    path.write_bytes(_xlsx(_sheets()))
    before = _snapshot()
    call_command("import", "agreement", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "audit_items: 5 to create, 0 to update, 0 unchanged" in out
    assert "company 'Quesos del Norte': created (771234569)" in out
    assert "Dry run: nothing was written." in out
    assert _snapshot() == before
    call_command("import", "agreement", str(path))
    assert "Imported apl-historico" in capsys.readouterr().out
    change = StageChange.objects.get(agreement__slug="apl-historico")
    assert change.imported and change.changed_by is None


def test_it_prints_every_error_and_fails_on_a_bad_file(organizations, tmp_path, capsys):
    path = tmp_path / "apl.xlsx"
    path.write_bytes(_edit(_set("facilities", 2, "company_tax_id", "76.086.428-9"))())
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import", "agreement", str(path))
    out = capsys.readouterr().out
    assert "error: sheet facilities, row 2, column company_tax_id:" in out
    assert not Agreement.objects.filter(slug="apl-historico").exists()


def test_it_exports_from_the_terminal_in_each_format(audited_apl, tmp_path):
    out = io.StringIO()
    for name in ("apl.xlsx", "apl.zip", "apl.json"):
        export_agreement_command(
            slug=audited_apl.slug, output=str(tmp_path / name), fmt=None, stdout=out
        )
    assert parse_agreement_workbook(tmp_path / "apl.xlsx").errors == []
    assert parse_agreement_workbook(tmp_path / "apl.zip").errors == []
    data = json.loads((tmp_path / "apl.json").read_text(encoding="utf-8"))
    assert [row["code"] for row in data["goals"]] == ["1", "2"]
