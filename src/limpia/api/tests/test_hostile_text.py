"""Hostile text in every free-text field the API writes: stored exactly as given, or refused
with a 400 that names the field and says why; never a 500, never silently changed; and shown
escaped on the public pages.

The fields are found in the OpenAPI document, that is from the serializers: every string a
request body takes that is not a date, a URL, an enum or a pattern (references to other
objects included: they must be refused cleanly). A serializer with such a field and no recipe
below fails the first test, so that a new field is not forgotten.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient
from stdnum.cl import rut

from limpia.access.models import Role, RoleAssignment
from limpia.agreements import services as agreements
from limpia.agreements.models import Agreement, Certificate, Extension

# The agreement personas and objects of the agreements' tests (fixtures, used by name).
from limpia.agreements.tests.conftest import (  # noqa: F401
    apl,
    aurora,
    cora,
    facilities,
    grande,
    lacteos,
    organizations,
    rene,
)
from limpia.agreements.tests.helpers import adhere, run_audit, set_stage
from limpia.plans import services as plans
from limpia.plans.models import Indicator, Node, Target
from limpia.registry.models import Training
from limpia.registry.services import application_submit

SCRIPT = "<script>alert(1)</script>"
HOSTILE = {
    "script": SCRIPT,
    "sql": "'; DROP TABLE plans_plan; --",
    "nul": "antes\x00después",
    "bell and escape": "timbre\x07 y escape\x1b[31m rojo",
    "right-to-left override": "factura\u202etxt.exe",
    "emoji and combining": "agua 💧 reciclada ♻️ 👩🏽‍🔬 — Z\u0351\u0364\u0311o\u0308 n\u0303",
    "one megabyte": "x" * (1024 * 1024),
}
MANY_DIGITS = 10  # a "too long" refusal says so, whatever the language


SCHEMA: dict = {}  # the document, read once (it is the same for everyone)


def schema_free_text(client) -> dict[str, list[str]]:
    """Request component (without the Patched prefix) → its free-text fields."""
    if not SCHEMA:
        SCHEMA.update(client.get("/api/v1/schema/?format=json").json())
    schema = SCHEMA
    components = schema["components"]["schemas"]

    def resolve(node):
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def text_fields(node, prefix=""):
        found = []
        for name, prop in resolve(node).get("properties", {}).items():
            if prop.get("readOnly") or "allOf" in prop or "oneOf" in prop or "$ref" in prop:
                continue
            kind = prop.get("type")
            items = prop.get("items", {})
            plain = kind == "string" and not {"enum", "format", "pattern"} & prop.keys()
            if plain or (kind == "array" and items.get("type") == "string"):
                found.append(prefix + name)
            elif kind == "array" and "$ref" in items:
                found += text_fields(items, f"{prefix}{name}.")
            elif kind == "object" and prop.get("additionalProperties"):
                found += [f"{prefix}{name}", f"{prefix}{name}.<key>"]
        return found

    free_text = {}
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch"):
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                reference = content["schema"].get("$ref", "")
                name = reference.rsplit("/", 1)[-1].removeprefix("Patched")
                fields = text_fields(content["schema"])
                if fields:
                    free_text[name] = fields
    return free_text


# ---------------------------------------------------------------- the world the writes need


@dataclass
class World:
    ids: dict[str, Any]
    users: dict[str, Any]

    def client(self, persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(self.users[persona])
        return client


@pytest.fixture
def world(plan, ana, elena, rita, rosa, apl, facilities, cora, aurora, rene):  # noqa: F811
    # A second agreement, in implementation: adhesions and extensions (cora coordinates it too;
    # given first, as the rules remember a user's roles).
    running = Agreement.objects.create(
        slug="apl-cuero",
        code="APL-CUE-01",
        name="APL Curtiembres",
        country_id="CL",
        stage="implementation",
        signing_date=dt.date(2024, 1, 15),
    )
    RoleAssignment.objects.create(user=cora, role=Role.COORDINATOR, agreement=running)
    set_stage(apl, "certification")
    adhesions = adhere(apl, *facilities.values())
    run_audit(cora, apl, facilities["A1"], aurora, {"1.1": True, "1.2": True, "2.1": True})
    consultation = agreements.consultation_open(
        acting_user=cora,
        agreement=apl,
        facility=facilities["A1"],
        consulted_on=dt.date(2025, 12, 1),
    )
    certificate = agreements.certificate_issue(
        acting_user=cora, agreement=apl, facility=facilities["A1"], issued_on=dt.date(2026, 3, 2)
    )
    open_audit = agreements.audit_open(
        acting_user=cora,
        agreement=apl,
        facility=facilities["B1"],
        auditor=aurora,
        audit_type="final",
        audit_date=dt.date(2025, 11, 4),
    )
    submitted = plans.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=40,
        submit=True,
    )
    application = application_submit(
        acting_user=ana, expert=aurora, submitted_on=dt.date(2025, 1, 10)
    )
    network = _network_world(ana)
    number = "77123456"
    return World(
        ids={
            "plan": plan.slug,
            "node": Node.objects.get(plan=plan, normalized_code="1.1").pk,
            "indicator": Indicator.objects.get(code="I1").pk,
            "qualitative": Indicator.objects.get(code="I3").pk,
            "target": Target.objects.get(indicator__code="I1").pk,
            "submitted": submitted.pk,
            "apl": apl.slug,
            "running": running.slug,
            "withdrawing": adhesions[1].pk,
            "audit": open_audit.pk,
            "consultation": consultation.pk,
            "regulator": apl.signatories.get(role="regulator").pk,
            "certificate": certificate.code,
            "application": application.pk,
            "new_tax_id": number + rut.calc_check_digit(number),
            **network,
        },
        users={
            "ana": ana,
            "elena": elena,
            "rita": rita,
            "rosa": rosa,
            "cora": cora,
            "aurora": aurora.user,
            "rene": rene,
        },
    )


def _network_world(ana) -> dict:
    """A council with a meeting, a decision, a commitment and a submitted update."""
    from limpia.core.models import Organization
    from limpia.network.models import Body, Commitment, CommitmentUpdate, Decision, Meeting

    Organization.objects.create(key="gob-h", name="Gobierno", kind="public_agency")
    council = Body.objects.create(
        key="consejo-h",
        name="Consejo",
        kind="council",
        scope="region",
        founded_on=dt.date(2005, 1, 1),
    )
    meeting = Meeting.objects.create(
        body=council,
        name="I Reunión",
        starts_on=dt.date(2007, 10, 18),
        ends_on=dt.date(2007, 10, 19),
    )
    decision = Decision.objects.create(
        meeting=meeting, number="1", kind="agreement", text="Acordar"
    )
    commitment = Commitment.objects.create(
        body=council, decision=decision, title="Informar", rule="reported"
    )
    update = CommitmentUpdate.objects.create(
        commitment=commitment,
        date=dt.date(2008, 1, 10),
        reported_status="done",
        text="Hecho",
        status="submitted",
    )
    return {"meeting": meeting.pk, "commitment": commitment.pk, "update": update.pk}


class _Answer(dict):
    """A write's answer, where `agenda.title` reads the first agenda item's title."""

    def __getitem__(self, name):
        if "." in name:
            outer, inner = name.split(".", 1)
            return dict.__getitem__(self, outer)[0][inner]
        return dict.__getitem__(self, name)


def _nested(outer: str, inner: str, base: dict):
    return lambda text: {outer: [{**base, inner: text}]}


AGENDA = {"title": "Apertura"}
PARTICIPATION = {"kind": "ngo", "count": 3}


# ---------------------------------------------------------------- one recipe per serializer


@dataclass(frozen=True)
class Recipe:
    """Where a serializer's fields are written (a valid body around the hostile field), and how
    the stored values are read back: a GET (with `{id}` from the write's answer) and the object
    in it, or straight from the database where the API shows no such field."""

    persona: str
    method: str
    url: str
    body: dict
    read: str | None = None
    pick: Any = None  # (the GET's JSON, the hostile text) → the object holding the fields
    from_database: Any = None  # (the world, the write's JSON) → {field: stored value}
    nested: dict = field(default_factory=dict)  # dotted field → (body for the text, JSON path)


def _item(action_code):
    return lambda data, text: next(i for i in data["items"] if i["action"] == action_code)


RECIPES = {
    "PlanRequest": Recipe("ana", "patch", "/api/v1/plans/{plan}/", {}, "/api/v1/plans/{plan}/"),
    "NodeRequest": Recipe(
        "elena",
        "patch",
        "/api/v1/nodes/{node}/",
        {},
        "/api/v1/nodes/{node}/",
        nested={
            "responsible.organization": lambda text: {
                "responsible": [{"organization": text, "role": "lead"}]
            }
        },
    ),
    "IndicatorRequest": Recipe(
        "elena", "patch", "/api/v1/indicators/{indicator}/", {}, "/api/v1/indicators/{indicator}/"
    ),
    "TargetRequest": Recipe(
        "elena", "patch", "/api/v1/targets/{target}/", {}, "/api/v1/targets/{target}/"
    ),
    "MeasurementRequest": Recipe(
        "rita",
        "post",
        "/api/v1/measurements/",
        {"indicator": "{qualitative}", "date": "2022-07-02", "text": "Avances en la mesa"},
        "/api/v1/measurements/{id}/",
        nested={
            "disaggregation": lambda text: {"disaggregation": {"region": text}},
            "disaggregation.<key>": lambda text: {"disaggregation": {text: "CL-RM"}},
        },
    ),
    "ReturnRequest": Recipe(
        "rosa",
        "post",
        "/api/v1/measurements/{submitted}/return/",
        {},
        "/api/v1/measurements/{submitted}/",
        pick=lambda data, text: {"note": data["review_note"]},
    ),
    "OrganizationRequest": Recipe(
        "ana", "patch", "/api/v1/organizations/minamb/", {}, "/api/v1/organizations/minamb/"
    ),
    # A company is listed only once one of its facilities adheres: read from the database.
    "CompanyRequest": Recipe(
        "ana",
        "post",
        "/api/v1/companies/",
        {"country": "CL", "tax_id": "{new_tax_id}", "name": "Curtiembre Sur", "size": "mediana"},
        from_database=lambda world, answer: _company(answer["id"]),
    ),
    "AdhesionRequest": Recipe(
        "cora",
        "post",
        "/api/v1/adhesions/",
        # after the adhesion window: an exception, with its reason
        {"agreement": "{running}", "facility": "A1", "adhered_on": "2024-06-03"},
        "/api/v1/adhesions/{id}/",
    ),
    "WithdrawalRequest": Recipe(
        "cora",
        "post",
        "/api/v1/adhesions/{withdrawing}/withdraw/",
        {"on": "2025-01-10"},
        "/api/v1/adhesions/{withdrawing}/",
        pick=lambda data, text: {"reason": data["withdrawal_reason"]},
    ),
    # The extension's reason is kept in the agreement's history, not shown by the API.
    "ExtensionRequestRequest": Recipe(
        "cora",
        "post",
        "/api/v1/agreements/{running}/extend/",
        {"new_end": "2031-01-31"},
        from_database=lambda world, answer: {
            "reason": Extension.objects.get(agreement__slug=world.ids["running"]).reason
        },
    ),
    "StageChangeRequestRequest": Recipe(
        "cora",
        "post",
        "/api/v1/agreements/{apl}/stage/",
        {"to_stage": "impact_evaluation"},
        "/api/v1/agreements/{apl}/",
        pick=lambda data, text: {"comment": data["stage_changes"][-1]["comment"]},
    ),
    "AuditOpenRequest": Recipe(
        "cora",
        "post",
        "/api/v1/audits/",
        {
            "agreement": "{apl}",
            "facility": "A2",
            "auditor": "AUD-001",
            "audit_type": "final",
            "audit_date": "2025-11-05",
        },
    ),
    "AuditItemRequestRequest": Recipe(
        "aurora",
        "post",
        "/api/v1/audits/{audit}/items/",
        {"action": "1.1", "applies": True, "complies": True},
        "/api/v1/audits/{audit}/",
        pick=_item("1.1"),
        nested={"reason": lambda text: {"applies": False, "complies": None, "reason": text}},
    ),
    "CertificateIssueRequest": Recipe(
        "cora",
        "post",
        "/api/v1/certificates/",
        {"agreement": "{apl}", "facility": "A2", "issued_on": "2026-03-02"},
    ),
    # The revocation's reason is kept on the certificate; the API shows its status only.
    "RevocationRequest": Recipe(
        "cora",
        "post",
        "/api/v1/certificates/{certificate}/revoke/",
        {"on": "2026-05-01"},
        from_database=lambda world, answer: {
            "reason": Certificate.objects.get(code=world.ids["certificate"]).revocation_reason
        },
    ),
    "ConsultationOpenRequest": Recipe(
        "cora",
        "post",
        "/api/v1/consultations/",
        {"agreement": "{apl}", "facility": "A2", "consulted_on": "2025-12-02"},
    ),
    "ConsultationAnswerRequest": Recipe(
        "rene",
        "post",
        "/api/v1/consultations/{consultation}/answer/",
        {"signatory": "{regulator}", "objects_to": True, "answered_on": "2025-12-10"},
        "/api/v1/consultations/{consultation}/",
        # each objection reads "<the regulator>: <its reason>"
        pick=lambda data, text: {"reason": data["objections"][0].split(": ", 1)[1]},
    ),
    "ImpactRequest": Recipe(
        "ana",
        "post",
        "/api/v1/impacts/",
        {
            "agreement": "{apl}",
            "facility": "A1",
            "metric": "water",
            "year": 2024,
            "entered_value": 120,
            "entered_unit": "m3",
        },
    ),
    "ApplicationRequest": Recipe(
        "ana", "post", "/api/v1/registry-applications/", {"submitted_on": "2025-02-01"}
    ),
    "DecisionRequest": Recipe(
        "ana",
        "post",
        "/api/v1/registry-applications/{application}/decide/",
        {"status": "observed", "decided_on": "2025-02-10"},
        "/api/v1/registry-applications/{application}/",
    ),
    "RelationRequest": Recipe(
        "ana",
        "post",
        "/api/v1/experts/AUD-001/relations/",
        {"company": "760864285", "country": "CL", "kind": "consulting", "started_on": "2020-01-01"},
    ),
    # Training is reported to the registry staff, who see it in the back office.
    "TrainingRequest": Recipe(
        "aurora",
        "post",
        "/api/v1/experts/AUD-001/trainings/",
        {"completed_on": "2025-03-01", "hours": "8.0"},
        from_database=lambda world, answer: {"title": Training.objects.get().title},
    ),
    # The name labels the new token; the credentials are looked up, never stored or shown.
    "TokenRequestRequest": Recipe(
        "ana",
        "post",
        "/api/v1/auth/token/",
        {"username": "ana", "password": "contraseña-segura-1"},
        pick=None,
    ),
}
RECIPES.update(
    {
        "BodyRequest": Recipe(
            "ana",
            "post",
            "/api/v1/network/bodies/",
            {"key": "mesa-h", "name": "Mesa", "kind": "round_table", "scope": "region"},
        ),
        "MembershipRequest": Recipe(
            "ana",
            "post",
            "/api/v1/network/memberships/",
            {"body": "consejo-h", "organization": "gob-h", "role": "member"},
        ),
        "FocalPointRequest": Recipe(
            "ana",
            "post",
            "/api/v1/network/focal-points/",
            {
                "body": "consejo-h",
                "country": "PA",
                "organization": "gob-h",
                "consent_on": "2026-01-05",
            },
        ),
        "MeetingRequest": Recipe(
            "ana",
            "post",
            "/api/v1/network/meetings/",
            {
                "body": "consejo-h",
                "name": "II Reunión",
                "starts_on": "2009-05-10",
                "ends_on": "2009-05-10",
            },
            from_database=lambda world, answer: _Answer(answer),
            nested={
                "agenda.time": _nested("agenda", "time", AGENDA),
                "agenda.title": _nested("agenda", "title", {}),
                "agenda.source_ref": _nested("agenda", "source_ref", AGENDA),
                "participation.organization": _nested(
                    "participation", "organization", PARTICIPATION
                ),
                "participation.text": _nested("participation", "text", PARTICIPATION),
                "participation.source_ref": _nested("participation", "source_ref", PARTICIPATION),
            },
        ),
        "NetworkDecisionRequest": Recipe(
            "ana",
            "post",
            "/api/v1/network/decisions/",
            {"meeting": "{meeting}", "kind": "agreement", "number": "2", "text": "Acordar"},
        ),
        "NeedRequest": Recipe("ana", "post", "/api/v1/cooperation/needs/", {"title": "Necesidad"}),
        "OfferRequest": Recipe(
            "ana",
            "post",
            "/api/v1/cooperation/offers/",
            {"provider": "gob-h", "kind": "training", "title": "Oferta"},
        ),
        "CommitmentRequest": Recipe(
            "ana",
            "post",
            "/api/v1/network/commitments/",
            {"body": "consejo-h", "title": "Informar", "rule": "reported"},
        ),
        "CommitmentUpdateRequest": Recipe(
            "ana",
            "post",
            "/api/v1/network/commitment-updates/",
            {
                "commitment": "{commitment}",
                "date": "2008-03-01",
                "reported_status": "in_progress",
                "text": "Avance",
            },
        ),
        "CommitmentReturnRequest": Recipe(
            "ana",
            "post",
            "/api/v1/network/commitment-updates/{update}/return/",
            {},
            from_database=lambda world, answer: {
                "comment": __import__("limpia.network.models", fromlist=["CommitmentUpdate"])
                .CommitmentUpdate.objects.get(pk=world.ids["update"])
                .review_comment
            },
        ),
    }
)
# Where a refusal may name another field than the one sent, and why.
REFUSED_AS = {
    # an unknown username is answered as a wrong password, not to tell which of the two it was
    ("TokenRequestRequest", "username"): {"username", "password"},
}


def _company(pk):
    from limpia.agreements.models import Company

    company = Company.objects.get(pk=pk)
    return {"name": company.name, "tax_id": company.tax_id}


def _format(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids.get(value[1:-1], value)
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    return value


def _body(recipe: Recipe, name: str, text: str, ids) -> dict:
    body = {key: _format(value, ids) for key, value in recipe.body.items()}
    if name in recipe.nested:
        return {**body, **recipe.nested[name](text)}
    if name == "level_names":
        return {**body, name: [text]}
    return {**body, name: text}


def _stored(world: World, recipe: Recipe, answer: dict, name: str, text: str):
    """What the API (or the database) now holds for the field, in the shape it was sent."""
    if recipe.from_database:
        return recipe.from_database(world, answer)[name]
    if recipe.read is None:
        return answer[name]
    url = recipe.read.format(**{**world.ids, "id": answer.get("id")})
    data = world.client(recipe.persona).get(url).json()
    data = recipe.pick(data, text) if recipe.pick else data
    if name == "disaggregation.<key>":
        return next(iter(data["disaggregation"]))
    if name == "disaggregation":
        return data["disaggregation"]["region"]
    if name == "responsible.organization":
        return data["responsible"][0]["organization"]
    if name == "level_names":
        return data[name][0]
    return data[name]


def _version_read(client, recipe: Recipe, world: World) -> int | None:
    """Updates carry the version they read (every write here is rolled back, so it stays)."""
    if recipe.method == "patch":
        return client.get(recipe.url.format(**world.ids)).json()["version"]
    if recipe.url.endswith("/items/"):
        audit = client.get(recipe.read.format(**world.ids)).json()
        item = next((i for i in audit["items"] if i["action"] == recipe.body["action"]), None)
        return item["version"] if item else 0
    return None


def test_it_has_a_recipe_for_every_serializer_that_takes_text(world):
    found = schema_free_text(world.client("ana"))
    missing = sorted(set(found) - set(RECIPES))
    assert not missing, f"no recipe for {missing}: add one to RECIPES"
    assert len(found) >= 20  # the document lists the writes (not an empty schema)


@pytest.mark.parametrize("component", sorted(RECIPES))
def test_it_stores_hostile_text_exactly_or_refuses_it_naming_the_field(world, component):
    recipe = RECIPES[component]
    fields = schema_free_text(world.client("ana")).get(component, [])
    assert fields, f"{component} takes no free text any more: drop its recipe"
    client = world.client(recipe.persona)
    version = _version_read(client, recipe, world)
    problems = []
    for name in fields:
        for label, text in HOSTILE.items():
            body = _body(recipe, name, text, world.ids)
            if version is not None and name != "version":
                body.setdefault("version", version)
            url = recipe.url.format(**world.ids)
            with transaction.atomic():
                response = getattr(client, recipe.method)(url, body, format="json")
                data = response.json()
                if response.status_code in (200, 201):
                    stored = _stored(world, recipe, data, name, text)
                    if stored != text:
                        problems.append(f"{name} ({label}): stored {stored[:60]!r}")
                transaction.set_rollback(True)
            where = f"{name} ({label}): {response.status_code}"
            if response.status_code == 400:
                expected = REFUSED_AS.get((component, name), {name.split(".")[0]})
                if data.get("field") not in expected or not data.get("detail"):
                    problems.append(f"{where} does not name {expected}: {str(data)[:300]}")
            elif response.status_code not in (200, 201):
                problems.append(f"{where} {str(data)[:300]}")
            elif "\x00" in text:
                problems.append(f"{where}: NUL accepted (PostgreSQL cannot store it)")
    assert not problems, "\n".join(problems)


def test_it_says_why_it_refuses(world):
    client = world.client("ana")
    url = f"/api/v1/plans/{world.ids['plan']}/"
    too_long = client.patch(url, {"title": HOSTILE["one megabyte"]}, format="json").json()
    assert too_long["field"] == "title" and "500" in too_long["detail"]
    bell = client.patch(url, {"description": "timbre\x07"}, format="json").json()
    assert bell["field"] == "description" and "U+0007 " in bell["detail"]
    nul = client.patch(url, {"parent": "plan\x00"}, format="json").json()  # a lookup, too
    assert nul["field"] == "parent" and "U+0000 " in nul["detail"]
    code = client.patch(
        f"/api/v1/indicators/{world.ids['indicator']}/", {"code": "x" * 41}, format="json"
    ).json()
    assert (code["code"], code["field"], len(code["fields"]["code"])) == ("invalid", "code", 1)


def test_it_refuses_nul_in_paths_and_query_strings(world):
    """PostgreSQL cannot compare text holding NUL: refused before any lookup, on every database."""
    client = world.client("ana")
    for url in (
        "/api/v1/plans/plan%00prueba/",
        "/api/v1/certificates/APL%00/verify/",
        "/api/v1/documents/?kind=guide%00",
        "/api/v1/exports/certificates.csv?agreement=apl%00lacteo",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json()["code"] == "nul_character"
    page = client.get("/plans/plan-prueba/nodes/1%001/")
    assert page.status_code == 400


def test_it_shows_stored_markup_escaped_on_the_public_pages(world):
    ids = world.ids
    ana, elena, coordinator = world.client("ana"), world.client("elena"), world.client("cora")
    writes = [
        (ana, "patch", f"/api/v1/plans/{ids['plan']}/", {"title": SCRIPT, "description": SCRIPT}),
        (elena, "patch", f"/api/v1/nodes/{ids['node']}/", {"title": SCRIPT}),
        (elena, "patch", f"/api/v1/indicators/{ids['indicator']}/", {"name": SCRIPT}),
        (elena, "patch", f"/api/v1/targets/{ids['target']}/", {"text": SCRIPT}),
        (ana, "patch", "/api/v1/organizations/minamb/", {"name": SCRIPT}),
        (
            coordinator,
            "post",
            f"/api/v1/agreements/{ids['apl']}/stage/",
            {"to_stage": "impact_evaluation", "comment": SCRIPT},
        ),
        (
            coordinator,
            "post",
            f"/api/v1/adhesions/{ids['withdrawing']}/withdraw/",
            {"on": "2025-01-10", "reason": SCRIPT},
        ),
    ]
    for client, method, url, body in writes:
        if method == "patch":
            body = {**body, "version": client.get(url).json()["version"]}
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 200, (url, response.json())
    reported = world.client("rita").post(
        "/api/v1/measurements/",
        {"indicator": ids["indicator"], "date": "2022-08-01", "value": 50, "comment": SCRIPT},
        format="json",
    )
    measurement = reported.json()["id"]
    world.client("rita").post(f"/api/v1/measurements/{measurement}/submit/")
    approved = world.client("rosa").post(f"/api/v1/measurements/{measurement}/approve/")
    assert approved.status_code == 200, approved.json()

    visitor = APIClient()
    for url in (
        f"/plans/{ids['plan']}/",
        f"/plans/{ids['plan']}/nodes/1.1/",
        f"/plans/{ids['plan']}/indicators/I1/",
        f"/measurements/{measurement}/",
        f"/agreements/{ids['apl']}/",
    ):
        page = visitor.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert SCRIPT not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
