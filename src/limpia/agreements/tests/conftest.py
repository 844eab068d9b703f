"""Agreement fixtures and personas.

- cora: coordinator of the agreement
- pedro: representative of Lácteos del Sur (small company, two facilities)
- aurora: registered auditor (with a user account)
- rene: works for the regulator (SAG) that signed the agreement
- ana (root conftest): administrator; carlos: no role
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from limpia.access.models import Role, RoleAssignment
from limpia.agreements.models import (
    Action,
    Agreement,
    Company,
    Facility,
    Goal,
    Signatory,
)
from limpia.core.models import Organization
from limpia.registry.models import Expert

SIGNED = dt.date(2024, 1, 15)  # the adhesion window runs to 2024-04-14


def _user(username):
    return get_user_model().objects.create_user(username, password="contraseña-segura-1")


@pytest.fixture
def organizations(db):
    return {
        "gremio": Organization.objects.create(
            key="fedeleche",
            name="Federación de Productores de Leche",
            kind="business_association",
            country_id="CL",
        ),
        "ascc": Organization.objects.create(
            key="ascc",
            name="Agencia de Sustentabilidad y Cambio Climático",
            kind="public_agency",
            country_id="CL",
        ),
        "sag": Organization.objects.create(
            key="sag",
            name="Servicio Agrícola y Ganadero",
            acronym="SAG",
            kind="regulator",
            country_id="CL",
        ),
    }


@pytest.fixture
def apl(organizations):
    agreement = Agreement.objects.create(
        slug="apl-lacteo",
        code="APL-LAC-01",
        name="APL Sector Lácteo",
        country_id="CL",
        stage="signed",
        signing_date=SIGNED,
    )
    Signatory.objects.create(
        agreement=agreement, organization=organizations["gremio"], role="business_association"
    )
    Signatory.objects.create(
        agreement=agreement, organization=organizations["ascc"], role="public_body"
    )
    regulator = Signatory.objects.create(
        agreement=agreement, organization=organizations["sag"], role="regulator"
    )
    water = Goal.objects.create(
        agreement=agreement, code="1", title="Uso eficiente del agua", position=1
    )
    waste = Goal.objects.create(
        agreement=agreement, code="2", title="Gestión de residuos", position=2
    )
    regulator.competence.add(waste)
    Action.objects.create(
        goal=water,
        code="1.1",
        text="Medir el consumo de agua",
        position=1,
        deadline_months=6,
        deadline_from="adhesion_end",
    )
    Action.objects.create(
        goal=water,
        code="1.2",
        text="Reducir el consumo en 10 %",
        position=2,
        deadline_months=12,
        deadline_from="adhesion_end",
    )
    Action.objects.create(
        goal=waste,
        code="2.1",
        text="Plan de manejo de residuos",
        position=1,
        deadline_months=9,
        deadline_from="adhesion_end",
    )
    Action.objects.create(
        goal=waste,
        code="2.2",
        text="Planta de tratamiento de RILes",
        position=2,
        applies_to_sizes=["grande"],
    )
    Action.objects.create(
        goal=waste,
        code="2.3",
        text="Informe consolidado del sector",
        position=3,
        responsible="association",
    )
    return agreement


@pytest.fixture
def lacteos(db):
    return Company.objects.create(
        country_id="CL", tax_id="760864285", name="Lácteos del Sur", size="pequeña"
    )


@pytest.fixture
def grande(db):
    return Company.objects.create(
        country_id="CL", tax_id="965432109", name="Gran Lechera", size="grande"
    )


@pytest.fixture
def facilities(lacteos, grande):
    return {
        "A1": Facility.objects.create(
            company=lacteos, code="A1", name="Planta Osorno", subdivision_id="CL-LL"
        ),
        "A2": Facility.objects.create(
            company=lacteos, code="A2", name="Planta Purranque", subdivision_id="CL-LL"
        ),
        "B1": Facility.objects.create(
            company=grande, code="B1", name="Planta Los Ángeles", subdivision_id="CL-BI"
        ),
    }


@pytest.fixture
def cora(apl):
    user = _user("cora")
    RoleAssignment.objects.create(user=user, role=Role.COORDINATOR, agreement=apl)
    return user


@pytest.fixture
def pedro(lacteos):
    user = _user("pedro")
    RoleAssignment.objects.create(user=user, role=Role.COMPANY_REPRESENTATIVE, company=lacteos)
    return user


@pytest.fixture
def aurora(db):
    user = _user("aurora")
    return Expert.objects.create(
        auditor_id="AUD-001",
        kind="auditor",
        name="Aurora Auditora",
        country_id="CL",
        user=user,
        registered_from=dt.date(2020, 1, 1),
        registered_until=dt.date(2027, 12, 31),
    )


@pytest.fixture
def rene(organizations):
    user = _user("rene")
    RoleAssignment.objects.create(user=user, role=Role.REGULATOR, organization=organizations["sag"])
    return user
