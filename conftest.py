"""Shared fixtures: reference data once per test database, named personas, a plan builder.

Personas (as in the developers' guide):
- ana: administrator
- elena: plan editor of the test plan
- rita: reporter for the ministry responsible for the test plan's indicators
- rosa: reviewer of the test plan
- carlos: logged in, no role anywhere
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from limpia.access.models import Role, RoleAssignment
from limpia.core.models import Organization
from limpia.core.reference import load_reference_data
from limpia.plans.models import Indicator, Node, NodeResponsibility, Plan, Target


def pytest_collection_modifyitems(config, items):
    """Tests marked `own_sqlite` set up their own SQLite installation in a subprocess whatever
    the suite's database (the demo, the server behind a proxy, the bench at a tiny scale): the
    same run twice tests nothing new, so on PostgreSQL they are left to the SQLite suite."""
    from django.conf import settings

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(
        reason="own SQLite installation, the same on any suite database: the SQLite suite runs it"
    )
    for item in items:
        if "own_sqlite" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a test's rolled-back writes may leave the data
    revision where another test's kept answers were computed (limpia.api.cache)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture
def ministry(db):
    return Organization.objects.create(
        key="minamb",
        name="Ministerio de Ambiente",
        acronym="MINAMB",
        kind="public_agency",
        country_id="CL",
    )


@pytest.fixture
def plan_builder(db, ministry):
    """Builds a plan from a nested dict: {"code": ..., "children": [...], "indicators": [...]}."""

    def build(
        slug="plan-prueba",
        nodes=(),
        indicators=(),
        status="approved",
        start=dt.date(2020, 1, 1),
        end=dt.date(2030, 12, 31),
    ):
        plan = Plan.objects.create(
            slug=slug,
            title=f"Plan {slug}",
            country_id="CL",
            period_start=start,
            period_end=end,
            status=status,
            level_names=["objetivo", "línea", "acción"],
        )

        def add_indicators(items, node):
            for spec in items:
                spec = dict(spec)
                targets = spec.pop("targets", [])
                indicator = Indicator.objects.create(plan=plan, node=node, **spec)
                for value, due in targets:
                    Target.objects.create(indicator=indicator, value=Decimal(value), due_date=due)

        def add_nodes(items, parent, depth):
            for position, spec in enumerate(items):
                node = Node.objects.create(
                    plan=plan,
                    parent=parent,
                    depth=depth,
                    position=position,
                    code=spec["code"],
                    normalized_code=spec["code"],
                    title=spec.get("title", f"Elemento {spec['code']}"),
                    weight=Decimal(spec.get("weight", 1)),
                )
                NodeResponsibility.objects.create(node=node, organization=ministry, role="lead")
                add_indicators(spec.get("indicators", []), node)
                add_nodes(spec.get("children", []), node, depth + 1)

        add_indicators(indicators, None)
        add_nodes(nodes, None, 0)
        return plan

    return build


@pytest.fixture
def plan(plan_builder):
    return plan_builder(
        nodes=[
            {
                "code": "1",
                "children": [
                    {
                        "code": "1.1",
                        "indicators": [
                            {
                                "code": "I1",
                                "name": "Empresas adheridas",
                                "kind": "quantity",
                                "unit": "empresas",
                                "targets": [("100", dt.date(2024, 12, 31))],
                            },
                        ],
                    },
                    {
                        "code": "1.2",
                        "indicators": [
                            {
                                "code": "I2",
                                "name": "Guía publicada",
                                "kind": "milestone",
                                "targets": [("1", dt.date(2022, 12, 31))],
                            },
                        ],
                    },
                ],
            },
            {
                "code": "2",
                "indicators": [
                    {"code": "I3", "name": "Percepción", "kind": "qualitative"},
                ],
            },
        ]
    )


def _user(username, **extra):
    return get_user_model().objects.create_user(username, password="contraseña-segura-1", **extra)


@pytest.fixture
def ana(db):
    return _user("ana", is_superuser=True, is_staff=True)


@pytest.fixture
def elena(plan):
    user = _user("elena", is_staff=True)
    RoleAssignment.objects.create(user=user, role=Role.PLAN_EDITOR, plan=plan)
    return user


@pytest.fixture
def rita(ministry):
    user = _user("rita")
    RoleAssignment.objects.create(user=user, role=Role.REPORTER, organization=ministry)
    return user


@pytest.fixture
def rosa(plan):
    user = _user("rosa")
    RoleAssignment.objects.create(user=user, role=Role.REVIEWER, plan=plan)
    return user


@pytest.fixture
def carlos(db):
    return _user("carlos")


@pytest.fixture
def api():
    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for
