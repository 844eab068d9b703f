"""The access matrix: every role × every endpoint and page × own / other object × read / write.

The expected answers live in one readable table, docs/access-matrix.md. This test builds a small
world (two plans, two agreements, their companies, audits, certificates, documents, import jobs),
sends every request of the table as every persona, and compares the answers with the table. It
fails when a URL exists that the table does not list, so a new endpoint cannot be added without
deciding who may use it.

Each cell reads `own/other`: the answer for the object the role-holding personas are tied to (the
approved plan elena edits, the agreement cora coordinates, pedro's company, aurora's audit...) and
for one nobody here is tied to (a draft plan, an agreement still in negotiation, another company's
facility, another auditor's audit). A single value is for URLs without an object. `login` is a
redirect to the login page. Writes are sent with an empty body, so a permitted writer gets the
validation answer (400, or a page with the form again) and the change is rolled back anyway.

Regenerate the table after a deliberate change with
`LIMPIA_WRITE_ACCESS_MATRIX=1 pytest src/limpia/access/tests/test_access_matrix.py`, then review
the diff of docs/access-matrix.md line by line: it is the change in who may do what.
"""
# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

from __future__ import annotations

import datetime as dt
import os
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from limpia.access.models import Role, RoleAssignment
from limpia.agreements.models import Adhesion, Agreement, Audit, Company, Consultation
from limpia.agreements.tests.conftest import (  # noqa: F401
    apl,
    aurora,
    cora,
    facilities,
    grande,
    lacteos,
    organizations,
    pedro,
    rene,
)
from limpia.exchange.models import ImportJob
from limpia.knowledge.models import Document
from limpia.plans.models import Indicator, Measurement, Node, NodeResponsibility, Plan, Target
from limpia.registry.models import Application, Expert
from limpia.web.tests.test_agreement_pages import audited, certificate  # noqa: F401

TABLE = Path(__file__).resolve().parents[4] / "docs" / "access-matrix.md"
PERSONAS = [
    "anonymous",
    "admin",
    "editor",
    "reviewer",
    "reporter",
    "coordinator",
    "company",
    "auditor",
    "regulator",
    "knowledge",
    "secretariat",
    "member",
]
API_WRITES = {"post", "put", "patch", "delete"}
# URLs the table leaves out, and why.
SKIPPED = {
    "api:api-root": "the browsable index of the API: lists the routes, no data",
    "set_language": "changes the visitor's language cookie only",
    "logout": "ends the visitor's own session",
}


# ---------------------------------------------------------------- the world


@pytest.fixture
def world(plan, ministry, elena, rosa, rita, ana, certificate, cora, pedro, rene, facilities):
    """Objects tied to the personas ("own") and objects tied to none of them ("other")."""
    User = get_user_model()
    other_plan = Plan.objects.create(
        slug="plan-ajeno",
        title="Plan ajeno",
        country_id="PA",
        status="draft",
        period_start=dt.date(2020, 1, 1),
        period_end=dt.date(2030, 12, 31),
    )
    other_node = Node.objects.create(plan=other_plan, code="9", normalized_code="9", title="Ajeno")
    other_org = organizations_other()
    NodeResponsibility.objects.create(node=other_node, organization=other_org, role="lead")
    other_indicator = Indicator.objects.create(
        plan=other_plan, node=other_node, code="X1", name="Ajeno", kind="quantity"
    )
    other_target = Target.objects.create(
        indicator=other_indicator, value=Decimal(5), due_date=dt.date(2030, 1, 1)
    )
    other_measurement = Measurement.objects.create(
        indicator=other_indicator, date=dt.date(2022, 1, 1), value=Decimal(1), created_by=ana
    )
    own_indicator = Indicator.objects.get(plan=plan, code="I1")
    own_measurement = Measurement.objects.create(
        indicator=own_indicator,
        date=dt.date(2022, 1, 1),
        value=Decimal(1),
        created_by=rita,
        status="submitted",
    )
    other_agreement = Agreement.objects.create(
        slug="apl-ajeno",
        code="APL-AJ-01",
        name="APL en negociación",
        country_id="CL",
        stage="negotiation",
    )
    otto = User.objects.create_user("otto", password="contraseña-segura-1")
    other_expert = Expert.objects.create(
        auditor_id="AUD-002",
        kind="auditor",
        name="Otto Auditor",
        country_id="CL",
        user=otto,
        registered_from=dt.date(2020, 1, 1),
    )
    own_expert = Expert.objects.get(auditor_id="AUD-001")
    own_audit = Audit.objects.get(facility=facilities["A1"], audit_type="final")
    other_audit = Audit.objects.create(
        agreement=certificate.agreement,
        facility=facilities["B1"],
        auditor=other_expert,
        audit_type="intermediate",
        audit_date=dt.date(2025, 3, 1),
    )
    own_application = Application.objects.create(
        expert=own_expert, submitted_on=dt.date(2025, 1, 1)
    )
    other_application = Application.objects.create(
        expert=other_expert, submitted_on=dt.date(2025, 1, 1)
    )
    published = Document.objects.create(
        kind="sector_guide",
        title="Guía publicada",
        link="https://example.org/guia",
        status="published",
        published_on=dt.date(2025, 1, 1),
    )
    draft = Document.objects.create(
        kind="study", title="Borrador", link="https://example.org/b", status="draft"
    )
    own_job = ImportJob.objects.create(
        kind="plan", filename="mio.xlsx", extension="xlsx", created_by=elena, status="invalid"
    )
    other_job = ImportJob.objects.create(
        kind="plan", filename="ajeno.xlsx", extension="xlsx", created_by=otto, status="invalid"
    )
    knowledge = User.objects.create_user("kiara", password="contraseña-segura-1")
    RoleAssignment.objects.create(user=knowledge, role=Role.KNOWLEDGE_EDITOR)
    personas = {
        "anonymous": None,
        "admin": ana,
        "editor": elena,
        "reviewer": rosa,
        "reporter": rita,
        "coordinator": cora,
        "company": pedro,
        "auditor": own_expert.user,
        "regulator": rene,
        "knowledge": knowledge,
    }
    network = _network_world(personas, other_org, otto)
    own_node = Node.objects.get(plan=plan, code="1.1")
    hidden_company = Company.objects.create(  # in no agreement anyone here may see
        country_id="CL", tax_id="770000008", name="Empresa sin acuerdos", size="micro"
    )
    return {
        "personas": personas,
        "plan": (plan, other_plan),
        "node": (own_node, other_node),
        "indicator": (own_indicator, other_indicator),
        "target": (own_indicator.targets.first(), other_target),
        "measurement": (own_measurement, other_measurement),
        "organization": (ministry, other_org),
        "agreement": (certificate.agreement, other_agreement),
        "company": (facilities["A1"].company, hidden_company),
        "facility": (facilities["A1"], facilities["B1"]),
        "adhesion": (
            Adhesion.objects.get(facility=facilities["A1"]),
            Adhesion.objects.get(facility=facilities["B1"]),
        ),
        "audit": (own_audit, other_audit),
        "consultation": (Consultation.objects.get(facility=facilities["A1"]), None),
        "certificate": (certificate, None),
        "expert": (own_expert, other_expert),
        "application": (own_application, other_application),
        "document": (published, draft),
        "job": (own_job, other_job),
        **network,
    }


def _network_world(personas, other_org, otto) -> dict:
    """`secretariat` (sara) runs the council «consejo-m»; `member` (mateo) acts for its member
    organization, responsible for the council's commitment and the author of its submitted
    update. The round table «mesa-ajena», with its meeting, decision, commitment and draft
    update (by otto), is nobody's here."""
    from limpia.core.models import Organization
    from limpia.network.models import (
        Body,
        Commitment,
        CommitmentUpdate,
        Decision,
        FocalPoint,
        Meeting,
        Membership,
    )

    User = get_user_model()
    member_org = Organization.objects.create(
        key="gob-m", name="Gobierno miembro", kind="public_agency", country_id="PA"
    )
    sara = User.objects.create_user("sara", password="contraseña-segura-1")
    mateo = User.objects.create_user("mateo", password="contraseña-segura-1")
    council = Body.objects.create(
        key="consejo-m", name="Consejo", kind="council", scope="region", founded_on=FOUNDED
    )
    table = Body.objects.create(
        key="mesa-ajena",
        name="Mesa ajena",
        kind="round_table",
        scope="country",
        country_id="CL",
        founded_on=FOUNDED,
    )
    RoleAssignment.objects.create(user=sara, role=Role.BODY_SECRETARIAT, body=council)
    RoleAssignment.objects.create(user=mateo, role=Role.BODY_MEMBER, organization=member_org)
    personas.update(secretariat=sara, member=mateo)
    sides = {}
    for body, org, author, status in (
        (council, member_org, mateo, "submitted"),
        (table, other_org, otto, "draft"),
    ):
        membership = Membership.objects.create(
            body=body, organization=org, role="member", term_from=FOUNDED
        )
        point = FocalPoint.objects.create(
            body=body, country_id="PA", organization=org, position="Punto Focal CPS"
        )
        meeting = Meeting.objects.create(
            body=body, name="I Reunión", starts_on=MET, ends_on=MET, status="held"
        )
        decision = Decision.objects.create(
            meeting=meeting, number="a", kind="agreement", text="Informar cada año."
        )
        commitment = Commitment.objects.create(
            body=body, decision=decision, title="Informar", rule="reported"
        )
        commitment.responsible_organizations.add(org)
        update = CommitmentUpdate.objects.create(
            commitment=commitment,
            organization=org,
            date=MET,
            reported_status="in_progress",
            text="Avance",
            status=status,
            created_by=author,
            submitted_by=author if status == "submitted" else None,
        )
        for kind, obj in (
            ("body", body),
            ("membership", membership),
            ("focal_point", point),
            ("meeting", meeting),
            ("decision", decision),
            ("commitment", commitment),
            ("update", update),
        ):
            sides.setdefault(kind, []).append(obj)
    sides.update(_cooperation_world(member_org, other_org))
    return {kind: tuple(objs) for kind, objs in sides.items()}


def _cooperation_world(member_org, other_org) -> dict:
    """`member` acts for the organization of an open need and of a valid offer; the other need
    is closed and the other offer expired, both of an organization nobody here acts for."""
    from limpia.cooperation.models import Need, Offer, Programme

    programme = Programme.objects.create(key="planes-cps", kind="common", label="Planes CPS")
    needs = [
        Need.objects.create(title="Capacitación", requester=member_org, kind="training"),
        Need.objects.create(title="Cerrada", requester=other_org, status="closed_unmet"),
    ]
    offers = [
        Offer.objects.create(provider=member_org, kind="training", title="Cursos"),
        Offer.objects.create(
            provider=other_org, kind="training", title="Vencida", valid_until=FOUNDED
        ),
    ]
    return {"need": needs, "offer": offers, "programme": [programme, None]}


FOUNDED, MET = dt.date(2005, 1, 1), dt.date(2007, 10, 18)


def organizations_other():
    from limpia.core.models import Organization

    return Organization.objects.create(
        key="ajena", name="Organización ajena", kind="public_agency", country_id="PA"
    )


# ---------------------------------------------------------------- the URLs


def _routes():
    """(name, pattern, callback) of every URL, format-suffix variants left out."""

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace + (f"{p.namespace}:" if p.namespace else "")
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                pattern = prefix + str(p.pattern)
                if "(?P<format>" in pattern or "drf_format_suffix" in pattern:
                    continue
                yield namespace + (p.name or ""), pattern, p.callback

    seen, routes = set(), []
    for name, pattern, callback in walk(get_resolver().url_patterns):
        if name in seen:
            continue
        seen.add(name)
        routes.append((name, pattern, callback))
    return routes


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF router view
        return sorted(m for m in actions if m in {"get", "post", "put", "patch", "delete"})
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None and hasattr(cls, "http_method_names"):
        names = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]
        initkwargs = getattr(callback, "initkwargs", {}) or {}
        if "http_method_names" in initkwargs:
            names = [m for m in names if m in initkwargs["http_method_names"]]
        return names or ["get"]
    return ["get", "post"]  # a plain Django view: it answers both, one way or another


KIND_OF = [  # (route name prefix, kind of object its URL names): the first that matches
    ("workbench:audit_new", "agreement"),
    ("workbench:consultation_new", "agreement"),
    ("api:plan-", "plan"),
    ("api:node-", "node"),
    ("api:indicator-", "indicator"),
    ("api:target-", "target"),
    ("api:measurement-", "measurement"),
    ("api:organization-", "organization"),
    ("api:agreement-", "agreement"),
    ("api:company-", "company"),
    ("api:facility-", "facility"),
    ("api:adhesion-", "adhesion"),
    ("api:audit-", "audit"),
    ("api:consultation-", "consultation"),
    ("api:certificate-", "certificate"),
    ("api:expert-", "expert"),
    ("api:registry-application-", "application"),
    ("api:document-", "document"),
    ("exchange:plan-", "plan"),
    ("exchange:indicator-opensdg", "indicator"),
    ("exchange:import-job", "job"),
    ("web:measurement_new", "indicator"),
    ("web:plan", "plan"),
    ("web:node", "node"),
    ("web:indicator", "indicator"),
    ("web:measurement", "measurement"),
    ("agreements_web:detail", "agreement"),
    ("agreements_web:compliance_chart", "agreement"),
    ("agreements_web:certificate_pdf", "certificate"),
    ("agreements_web:verify_code", "certificate"),
    ("workbench:audit_validate", "audit"),
    ("workbench:certificate_revoke", "certificate"),
    ("workbench:report", "facility"),
    ("workbench:impacts", "facility"),
    ("workbench:withdraw", "facility"),
    ("workbench:audit", "audit"),
    ("workbench:consultation", "consultation"),
    ("workbench:", "agreement"),
    ("imports:job", "job"),
    ("reports:plan_report", "plan"),
    ("reports:agreement_report", "agreement"),
    ("reports:agreement_annex", "agreement"),
    ("knowledge:detail", "document"),
    ("knowledge:download", "document"),
    ("api:cooperation-need-", "need"),
    ("api:cooperation-offer-", "offer"),
    ("api:cooperation-programme-", "programme"),
    ("api:network-body-", "body"),
    ("api:network-membership-", "membership"),
    ("api:network-focal-point-", "focal_point"),
    ("api:network-meeting-", "meeting"),
    ("api:network-decision-", "decision"),
    ("api:network-commitment-update-", "update"),
    ("api:network-commitment-", "commitment"),
    ("network:meeting", "meeting"),
    ("network:", "body"),
    ("network_work:meeting_edit", "meeting"),
    ("network_work:decision_new", "meeting"),
    ("network_work:decision_edit", "decision"),
    ("network_work:commitment_edit", "commitment"),
    ("network_work:update_new", "commitment"),
    ("network_work:membership_end", "membership"),
    ("network_work:update_", "update"),
    ("network_work:", "body"),
]


def _kind(name: str, pattern: str) -> str | None:
    if "<" not in pattern and "(?P<" not in pattern:
        return None
    for prefix, kind in KIND_OF:
        if name.startswith(prefix):
            return kind
    return None


def _kwargs(name: str, pattern: str, kind: str | None, obj) -> dict:
    """The URL's arguments for `obj` (of `kind`), and fixed values for the others."""
    wanted = set(re.findall(r"<(?:\w+:)?(\w+)>", pattern)) | set(
        re.findall(r"\(\?P<(\w+)>", pattern)
    )
    values = {
        "fmt": "csv",
        "kind": "plan",
        "period": "2025-S1",
        "verb": "approve",
        "format": "json",
    }
    if kind is not None and obj is not None:
        values.update(_object_values(kind, obj))
    elif kind is not None:  # no object of that side: a key that matches nothing
        values.update({"pk": 999999, "slug": "no-existe", "code": "NO-EXISTE", "key": "no"})
        values.update({"auditor_id": "NO-EXISTE", "action_code": "1.1"})
    values = {**REFERENCE.get(name, {}), **values}
    defaults = {"pk": 1, "code": "CL", "key": "lac", "slug": "no-existe", "auditor_id": "x"}
    return {k: values.get(k, defaults.get(k)) for k in wanted}


REFERENCE = {  # public reference data, the same for everyone
    "api:country-detail": {"pk": "CL"},
    "api:subdivision-detail": {"code": "CL-RM"},
    "api:subregion-detail": {"key": "southern_cone"},
    "api:sector-detail": {"code": "10"},
}


def _object_values(kind, obj) -> dict:
    if kind == "plan":
        return {"slug": obj.slug}
    if kind == "node":
        return {"pk": obj.pk, "slug": obj.plan.slug, "code": obj.normalized_code}
    if kind == "indicator":
        return {"pk": obj.pk, "slug": obj.plan.slug, "code": obj.code}
    if kind in ("target", "measurement", "adhesion", "consultation", "application"):
        return {"pk": obj.pk}
    if kind == "organization":
        return {"key": obj.key}
    if kind == "agreement":
        return {"slug": obj.slug}
    if kind == "company":
        return {"pk": obj.pk}
    if kind == "facility":
        adhesion = obj.adhesions.first()
        return {"code": obj.code, "slug": adhesion.agreement.slug if adhesion else "no-existe"}
    if kind == "audit":
        return {"pk": obj.pk, "slug": obj.agreement.slug, "action_code": "1.1"}
    if kind == "certificate":
        return {"code": obj.code}
    if kind == "expert":
        return {"auditor_id": obj.auditor_id}
    if kind == "document":
        return {"pk": obj.pk}
    if kind == "job":
        return {"pk": obj.pk}
    if kind in ("body", "programme"):
        return {"key": obj.key}
    if kind in ("need", "offer"):
        return {"pk": obj.pk}
    if kind in ("membership", "focal_point", "meeting", "decision", "commitment", "update"):
        return {"pk": obj.pk}
    raise AssertionError(kind)


# ---------------------------------------------------------------- asking


def _answer(client: Client, method: str, url: str, api: bool) -> str:
    with transaction.atomic():
        if api:
            response = client.generic(method.upper(), url, "{}", "application/json")
        else:
            response = client.generic(method.upper(), url)
        transaction.set_rollback(True)  # whatever it wrote, the next request sees none of it
    if response.status_code in (301, 302):
        location = response.get("Location", "")
        return "login" if "/accounts/login/" in location or "/admin/login/" in location else "302"
    return str(response.status_code)


def _observe(world) -> dict[tuple[str, str], dict[str, str]]:
    clients = {}
    for persona, user in world["personas"].items():
        client = Client(raise_request_exception=False)
        client.cookies["django_language"] = "en"
        if user is not None:
            client.force_login(user)
        clients[persona] = client
    table, timings = {}, {}
    for name, pattern, callback in _routes():
        if name in SKIPPED or (name.startswith("admin:") and not _admin_row(name)):
            continue
        kind = _kind(name, pattern)
        sides = world[kind] if kind else (None,)
        urls = []
        for obj in sides:
            try:
                urls.append(reverse(name, kwargs=_kwargs(name, pattern, kind, obj)))
            except Exception as exc:  # a route this test cannot address must be looked at
                raise AssertionError(f"cannot build the URL of {name} ({pattern}): {exc}") from exc
        api = pattern.startswith("api/")
        for method in _methods(callback):
            row = {}
            started = time.monotonic()
            for persona, client in clients.items():
                row[persona] = "/".join(_answer(client, method, url, api) for url in urls)
            table[(name, method.upper())] = row
            timings[(name, method.upper())] = time.monotonic() - started
    if os.environ.get("LIMPIA_WRITE_ACCESS_MATRIX"):
        for key, seconds in sorted(timings.items(), key=lambda kv: -kv[1])[:20]:
            print(f"{seconds:6.2f} s  {key}")
    return table


def _admin_row(name: str) -> bool:
    """The back office: its index and every model's list (each ModelAdmin asks the rules)."""
    return name == "admin:index" or name.endswith("_changelist")


# ---------------------------------------------------------------- the table


HEADER = (
    "| endpoint | method | " + " | ".join(PERSONAS) + " |\n"
    "| --- | --- | " + " | ".join("---" for _ in PERSONAS) + " |\n"
)


def _read_table() -> dict[tuple[str, str], dict[str, str]]:
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != len(PERSONAS) + 2 or cells[0] in ("endpoint", "---"):
            continue
        name, method = cells[0].strip("`"), cells[1]
        rows[(name, method)] = dict(zip(PERSONAS, cells[2:], strict=True))
    return rows


def _write_table(observed) -> None:
    text = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
    intro = text.split("| endpoint |", 1)[0] if "| endpoint |" in text else ""
    lines = [
        f"| `{name}` | {method} | " + " | ".join(row[p] for p in PERSONAS) + " |"
        for (name, method), row in sorted(observed.items())
    ]
    TABLE.write_text(intro + HEADER + "\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def cheap_documents(monkeypatch):
    """Who may fetch a chart, a PDF or the schema is the question here, not what they hold
    (their content is tested elsewhere): draw and compile nothing, and build the schema once."""
    from drf_spectacular.generators import SchemaGenerator

    monkeypatch.setattr("limpia.web.views.indicator_chart", lambda *a, **k: "<svg/>")
    monkeypatch.setattr("limpia.web.agreement_views.compliance_chart", lambda *a, **k: "<svg/>")
    monkeypatch.setattr(
        "typst.compile_with_warnings", lambda *a, **k: (b"%PDF-1.7 matrix", []), raising=True
    )
    schema = {}
    real = SchemaGenerator.get_schema

    def once(self, request=None, public=False):
        if public not in schema:
            schema[public] = real(self, request=request, public=public)
        return schema[public]

    monkeypatch.setattr(SchemaGenerator, "get_schema", once)


@pytest.mark.django_db
def test_every_role_gets_the_answer_the_table_gives(world, cheap_documents):
    observed = _observe(world)
    if os.environ.get("LIMPIA_WRITE_ACCESS_MATRIX"):
        _write_table(observed)
    expected = _read_table()
    missing = sorted(set(observed) - set(expected))
    assert not missing, f"endpoints with no row in {TABLE.name}: {missing}"
    stale = sorted(set(expected) - set(observed))
    assert not stale, f"rows of {TABLE.name} for endpoints that no longer exist: {stale}"
    wrong = [
        f"{name} {method} as {persona}: expected {expected[(name, method)][persona]}, "
        f"got {row[persona]}"
        for (name, method), row in sorted(observed.items())
        for persona in PERSONAS
        if row[persona] != expected[(name, method)][persona]
    ]
    assert not wrong, "\n".join(wrong)
    print(f"{len(observed)} rows × {len(PERSONAS)} personas checked")


def test_every_url_has_a_name():
    """The table's rows are URL names: a URL without one could not be listed."""
    unnamed = [
        pattern
        for name, pattern, _cb in _routes()
        if (not name or name.endswith(":")) and not pattern.startswith("admin/")
    ]
    assert unnamed == []  # (the back office's own redirects are unnamed: Django's)
