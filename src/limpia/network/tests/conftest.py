"""The network's test world: the source data loaded (the UNEP LAC council, its steering
committee, the IV meeting, Panamá's and Chile's bodies), and its personas:

- sonia: secretariat of the council (so she also runs its steering committee)
- marco: acts for Panamá's government (a member organization of the steering committee)
- ana (admin) and carlos (no role) come from the project's conftest.
"""

import pytest
from django.contrib.auth import get_user_model

from limpia.access.models import Role, RoleAssignment
from limpia.core.models import Organization
from limpia.network.models import Body


@pytest.fixture
def network(db):
    from limpia.network.loader import load_network
    from limpia.plans.loader import load_plans, plan_files

    # the two plans whose organizations and indicators the network uses (all nine take longer)
    load_plans([p for p in plan_files() if p.name.startswith(("pa-", "cl-"))])
    load_network()
    return {body.key: body for body in Body.objects.all()}


@pytest.fixture
def sonia(network):
    user = get_user_model().objects.create_user("sonia", password="x", first_name="Sonia")
    RoleAssignment.objects.create(
        user=user, role=Role.BODY_SECRETARIAT, body=network["consejo-expertos-cps-alc"]
    )
    return user


@pytest.fixture
def marco(network):
    user = get_user_model().objects.create_user("marco", password="x", first_name="Marco")
    RoleAssignment.objects.create(
        user=user,
        role=Role.BODY_MEMBER,
        organization=Organization.objects.get(key="gobierno-pa"),
    )
    return user
