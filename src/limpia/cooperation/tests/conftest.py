"""The cooperation tests' world: two organizations and who acts for each.

- paula: acts for Panamá's ministry of environment (publishes its needs)
- pedro-cp: acts for a cleaner production centre (publishes its offers)
- ana (admin) and carlos (no role) come from the project's conftest.
"""

import pytest
from django.contrib.auth import get_user_model

from limpia.access.models import Role, RoleAssignment
from limpia.core.models import Organization


@pytest.fixture
def orgs(db):
    return {
        "panama": Organization.objects.create(
            key="minamb-pa", name="Ministerio de Ambiente", kind="public_agency", country_id="PA"
        ),
        "centro": Organization.objects.create(
            key="cnpml-x", name="Centro de Producción Más Limpia", kind="cp_centre"
        ),
    }


def _acting_for(username, organization):
    user = get_user_model().objects.create_user(username, password="x")
    RoleAssignment.objects.create(user=user, role=Role.BODY_MEMBER, organization=organization)
    return user


@pytest.fixture
def paula(orgs):
    """Acts for Panamá's ministry: she publishes its needs."""
    return _acting_for("paula", orgs["panama"])


@pytest.fixture
def pedro_cp(orgs):
    """Acts for the cleaner production centre: he publishes its offers."""
    return _acting_for("pedro-cp", orgs["centro"])
