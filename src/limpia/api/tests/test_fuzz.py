"""Schemathesis fuzzes every operation of the OpenAPI schema, anonymous and signed in.

Requests are generated from /api/v1/schema/ (valid and invalid data) and sent in-process to the
WSGI application, against the source plans, the sample measurements and the sample agreements;
path parameters, filters and references in bodies are mostly drawn from the identifiers that
exist, so that the requests reach the code behind the 404s, and now and then replaced by a nasty
value (NUL, markup, SQL). No answer may be a server error or contradict the schema (status code
documented, content type, body). Every request runs in a savepoint that is rolled back, so writes
leave nothing behind and each request meets the same data.

`LIMPIA_FUZZ_EXAMPLES` (default 4) is the number of generated requests per operation and
persona, valid and invalid data mixed; docs/api.md shows a longer run.
"""

import datetime as dt
import os
import time
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from limpia.access.models import Role, RoleAssignment
from limpia.accounts.services import api_token_create

EXAMPLES = int(os.environ.get("LIMPIA_FUZZ_EXAMPLES", "4"))
# A long run can keep to some personas: LIMPIA_FUZZ_PERSONAS=ana (docs/api.md).
PERSONAS = [p for p in os.environ.get("LIMPIA_FUZZ_PERSONAS", "").split(",") if p]
MINIMUM_CASES = 1000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same requests on every run, in CI as on a laptop
    database=None,  # nothing remembered between runs (and no .hypothesis folder)
    deadline=dt.timedelta(seconds=10),  # one request; a slow CI machine is not a failure
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,  # a request to a database is slower than a pure function
        HealthCheck.filter_too_much,  # schemathesis filters invalid combinations itself
        HealthCheck.data_too_large,  # bodies of large objects
        HealthCheck.large_base_example,
    ],
    print_blob=False,
)


@contextmanager
def requests_keep_the_test_transaction():
    """The WSGI handler closes 'old' connections around each request, which would end the test's
    transaction; Django's test client does the same as this."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def load_realistic_data(ana):
    from limpia.agreements.sample import sample_agreements_load
    from limpia.knowledge import services as knowledge
    from limpia.knowledge.models import Document
    from limpia.plans.loader import load_plans
    from limpia.plans.sample import sample_measurements_load

    load_plans()
    sample_measurements_load()
    sample_agreements_load()
    for number, title in enumerate(("Guía de eficiencia hídrica", "Borrador de estudio")):
        document = knowledge.document_save(
            acting_user=ana,
            document=Document(
                kind="sector_guide", title=title, link=f"https://example.org/{number}"
            ),
        )
        if number == 0:
            knowledge.document_publish(acting_user=ana, document=document)


def identifiers() -> dict[str, list]:
    """What exists, by kind, to put in paths, filters and bodies."""
    from limpia.agreements.models import (
        Action,
        Adhesion,
        Agreement,
        Audit,
        Certificate,
        Company,
        Consultation,
        Facility,
        Signatory,
    )
    from limpia.core.models import Country, Organization, Sector, Subdivision, Subregion
    from limpia.exchange.models import ImportJob
    from limpia.knowledge.models import Document
    from limpia.plans.models import Indicator, Measurement, Node, Plan, Target
    from limpia.registry.models import Application, Expert

    def values(model, field="pk", limit=30):
        return list(model.objects.order_by("pk").values_list(field, flat=True)[:limit])

    found = {
        "version": [0, 1, 1, 1, 2],
        "plan": values(Plan, "slug"),
        "node": values(Node),
        "indicator": values(Indicator),
        "indicator_code": values(Indicator, "code"),
        "target": values(Target),
        "measurement": values(Measurement),
        "organization": values(Organization),
        "organization_key": values(Organization, "key"),
        "country": ["CL", "PA", "CR", "MX", "BR", *values(Country, "code", 5)],
        "subdivision": values(Subdivision, "code", 10),
        "subregion": values(Subregion, "key"),
        "sector": values(Sector, "code", 20),
        "agreement": values(Agreement, "slug"),
        "company": values(Company),
        "tax_id": values(Company, "tax_id"),
        "facility": values(Facility, "code"),
        "adhesion": values(Adhesion),
        "audit": values(Audit),
        "action": values(Action, "code"),
        "consultation": values(Consultation),
        "signatory": values(Signatory),
        "certificate": values(Certificate, "code"),
        "expert": values(Expert, "auditor_id"),
        "application": values(Application),
        "document": values(Document),
        "job": values(ImportJob),
        "indicator_path": [
            {"slug": slug, "code": code}
            for slug, code in Indicator.objects.filter(kind="quantity")
            .order_by("pk")
            .values_list("plan__slug", "code")[:30]
        ],
    }
    return {kind: items for kind, items in found.items() if items}


# Path parameters, by the collection (first segment after /api/v1/) and parameter name.
PATH_KINDS = {
    "plans": {"slug": "plan"},
    "nodes": {"id": "node"},
    "indicators": {"id": "indicator"},
    "targets": {"id": "target"},
    "measurements": {"id": "measurement"},
    "organizations": {"key": "organization_key"},
    "countries": {"code": "country"},
    "subdivisions": {"code": "subdivision"},
    "subregions": {"key": "subregion"},
    "sectors": {"code": "sector"},
    "agreements": {"slug": "agreement"},
    "companies": {"id": "company"},
    "facilities": {"code": "facility"},
    "adhesions": {"id": "adhesion"},
    "audits": {"id": "audit"},
    "consultations": {"id": "consultation"},
    "certificates": {"code": "certificate"},
    "registry": {"auditor_id": "expert"},
    "registry-applications": {"id": "application"},
    "experts": {"auditor_id": "expert"},
    "documents": {"id": "document"},
    "imports": {"id": "job"},
}
# Fields of bodies and query strings that refer to other objects, by collection.
REFERENCE_KINDS = {
    "plans": {"parent": "plan", "parent__slug": "plan", "country": "country"},
    "nodes": {"plan": "plan", "plan__slug": "plan", "parent": "node"},
    "indicators": {
        "plan": "plan",
        "plan__slug": "plan",
        "node": "node",
        "organization": "organization",
    },
    "targets": {"indicator": "indicator"},
    "measurements": {"indicator": "indicator", "indicator__plan__slug": "plan"},
    "organizations": {"country": "country", "parent": "organization_key"},
    "subdivisions": {"country": "country", "parent": "subdivision"},
    "sectors": {"parent": "sector"},
    "agreements": {"country": "country", "sectors__code": "sector"},
    "companies": {"country": "country", "tax_id": "tax_id"},
    "facilities": {"company__tax_id": "tax_id", "subdivision": "subdivision"},
    "adhesions": {
        "agreement": "agreement",
        "agreement__slug": "agreement",
        "facility": "facility",
        "facility__code": "facility",
    },
    "audits": {
        "agreement": "agreement",
        "agreement__slug": "agreement",
        "facility": "facility",
        "facility__code": "facility",
        "auditor": "expert",
        "corrects": "audit",
        "action": "action",
    },
    "certificates": {"agreement": "agreement", "agreement__slug": "agreement"},
    "impacts": {"agreement": "agreement", "facility": "facility"},
    "consultations": {"agreement": "agreement", "facility": "facility", "signatory": "signatory"},
    "registry-applications": {"expert": "expert", "expert__auditor_id": "expert"},
    "experts": {"company": "tax_id", "country": "country"},
    "exports": {"agreement": "agreement"},
    "documents": {"sector": "sector", "country": "country"},
}


def collection(operation) -> str:
    return operation.path.removeprefix("/api/v1/").split("/")[0]


# Values that broke or could break lookups and filters: NUL (PostgreSQL cannot compare text
# holding it), markup, SQL, a right-to-left override, an emoji, something long.
NASTY = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "<script>alert(1)</script>",
        "'; DROP TABLE plans_plan; --",
        "\u202eabc",
        "💧",
        "x" * 2000,
    ]
)


def sometimes_real(value, kind: str, known: dict):
    """Mostly an identifier that exists (when the field names one), else what schemathesis
    generated; one time in four or eight, a nasty value."""
    if kind in known:
        choices = [st.just(value), NASTY, *[st.sampled_from(known[kind])] * 6]
    else:
        choices = [st.just(value)] * 3 + [NASTY]
    return st.integers(0, len(choices) - 1).flatmap(lambda n: choices[n])


def add_identifier_hooks(schema, known: dict) -> None:
    @schema.hook("flatmap_path_parameters")
    def real_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        name = collection(context.operation)
        if name == "plans" and "code" in path_parameters and "indicator_path" in known:
            real = st.sampled_from(known["indicator_path"])  # a plan's slug with its code
            generated = st.fixed_dictionaries(
                {key: sometimes_real(value, "", known) for key, value in path_parameters.items()}
            )
            return st.integers(0, 3).flatmap(lambda n: real if n else generated)
        kinds = PATH_KINDS.get(name, {})
        strategies = {
            key: sometimes_real(value, kinds.get(key, ""), known)
            for key, value in path_parameters.items()
        }
        return st.fixed_dictionaries(strategies)

    def real_references(context, container):
        if not isinstance(container, dict):
            return st.just(container)
        # An update carries the version it read: mostly the one stored (1 in these data), so
        # that updates reach the services instead of stopping at the 400 for a missing one.
        kinds = {"version": "version", **REFERENCE_KINDS.get(collection(context.operation), {})}
        return st.fixed_dictionaries(
            {
                key: sometimes_real(value, kinds.get(key, ""), known)
                if key in kinds or isinstance(value, str)
                else st.just(value)
                for key, value in container.items()
            }
        )

    def real_bodies(context, container):
        strategy = real_references(context, container)
        if context.operation.method.upper() not in ("PUT", "PATCH") or not isinstance(
            container, dict
        ):
            return strategy
        # A generated update often leaves the optional version out: put it in three times in
        # four, so that most updates get past the 400 and into the services.
        return st.tuples(strategy, st.sampled_from([None, 1, 1, 1])).map(
            lambda pair: pair[0] if pair[1] is None else {"version": pair[1], **pair[0]}
        )

    schema.hook("flatmap_query")(real_references)
    schema.hook("flatmap_body")(real_bodies)


class Fuzzer:
    def __init__(self, schema):
        self.schema = schema
        self.cases = 0
        self.statuses: dict[int, int] = {}
        self.failures: list[str] = []

    def run(self, operation, headers: dict[str, str], persona: str) -> None:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @FUZZ_SETTINGS
        @given(case=strategy)
        def fuzz(case):
            self.cases += 1
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as failure:  # reported all together at the end
            self.failures.append(f"{persona} {operation.label}:\n{failure}")


@pytest.fixture
def personas(realistic_data, ana, elena):
    from limpia.plans.models import Plan

    # elena also edits a source plan, so that her writes reach real trees.
    RoleAssignment.objects.create(
        user=elena, role=Role.PLAN_EDITOR, plan=Plan.objects.get(slug="pa-pml-plan-accion")
    )
    everyone = {
        "anonymous": {},
        "ana": {"Authorization": f"Token {api_token_create(acting_user=ana, user=ana)[1]}"},
        "elena": {"Authorization": f"Token {api_token_create(acting_user=elena, user=elena)[1]}"},
    }
    unknown = set(PERSONAS) - set(everyone)
    assert not unknown, f"LIMPIA_FUZZ_PERSONAS names no persona {sorted(unknown)}"
    return {name: headers for name, headers in everyone.items() if name in PERSONAS or not PERSONAS}


@pytest.fixture
def realistic_data(ana):
    load_realistic_data(ana)


def test_it_answers_generated_requests_within_the_schema(realistic_data, personas, capsys):
    started = time.monotonic()
    with requests_keep_the_test_transaction():
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
        add_identifier_hooks(schema, identifiers())
        fuzzer = Fuzzer(schema)
        for result in schema.get_all_operations():
            operation = result.ok()
            for persona, headers in personas.items():
                fuzzer.run(operation, headers, persona)
    elapsed = time.monotonic() - started
    with capsys.disabled():  # shown in every run, CI's included
        print(
            f"\nschemathesis: {fuzzer.cases} requests to {len(schema)} operations"
            f" in {elapsed:.0f} s; statuses {dict(sorted(fuzzer.statuses.items()))}"
        )
    assert not fuzzer.failures, "\n\n".join(fuzzer.failures)
    assert fuzzer.cases >= MINIMUM_CASES * len(personas) / 3
