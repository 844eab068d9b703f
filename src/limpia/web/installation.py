"""Setting up an installation: database, reference data, source plans, static files, admin."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction

from limpia.conf import ConfigurationError


@dataclass
class AdminAccount:
    username: str
    created: bool
    password: str | None  # set only when generated now, to be shown once


def prepare_installation(*, stdout, with_sample_data: bool) -> None:
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0, stdout=stdout)
    call_command("loadreference", stdout=stdout)
    call_command("loadplans", stdout=stdout)
    call_command("loadnetwork", stdout=stdout)
    call_command("loadcooperation", stdout=stdout)
    if with_sample_data:
        call_command("loadsample", stdout=stdout)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=stdout)


def check_password(password: str, *, username: str) -> None:
    """LIMPIA_ADMIN_PASSWORD through the validators of AUTH_PASSWORD_VALIDATORS, as every
    password set in the back office or with `limpia changepassword` is."""
    try:
        validate_password(password, user=get_user_model()(username=username))
    except ValidationError as exc:
        raise ConfigurationError(
            f"LIMPIA_ADMIN_PASSWORD is too weak for the account {username!r}: "
            + " ".join(exc.messages)
        ) from None


@transaction.atomic
def ensure_admin(*, password: str | None) -> AdminAccount:
    """Create the `admin` superuser once; an existing account is left as it is."""
    users = get_user_model()
    if users.objects.filter(username="admin").exists():
        return AdminAccount("admin", created=False, password=None)
    if password:
        check_password(password, username="admin")
    generated = password or secrets.token_urlsafe(12)
    users.objects.create_superuser("admin", email="", password=generated)
    return AdminAccount("admin", created=True, password=None if password else generated)


DEMO_ROLES = {
    # username: (role, plan slug or organization key). Panamá's plan: Chile's 2010 goals are
    # computed from the agreements data and take no reported measurements.
    "reportera": ("reporter", "anam"),
    "revisora": ("reviewer", "pa-pml-plan-accion"),
}


@transaction.atomic
def ensure_demo_users(*, password: str | None) -> dict[str, str | None]:
    """A reporter for Panamá's ANAM and a reviewer of Panamá's plan, so that the demo can show a
    measurement going from report to approval.

    Returns username → password generated now (None for accounts that already existed or got
    LIMPIA_ADMIN_PASSWORD)."""
    from limpia.access.models import RoleAssignment
    from limpia.core.models import Organization
    from limpia.plans.models import Plan

    users = get_user_model()
    created = {}
    created.update(_ensure_agreement_people(users, password))
    for username, (role, scope) in DEMO_ROLES.items():
        if users.objects.filter(username=username).exists():
            continue
        if password:
            check_password(password, username=username)
        generated = password or secrets.token_urlsafe(12)
        user = users.objects.create_user(username, password=generated)
        if role == "reporter":
            organization = Organization.objects.get(key=scope)
            RoleAssignment.objects.create(user=user, role=role, organization=organization)
        else:
            RoleAssignment.objects.create(user=user, role=role, plan=Plan.objects.get(slug=scope))
        created[username] = None if password else generated
    return created


def _ensure_agreement_people(users, password: str | None) -> dict[str, str | None]:
    """Demo accounts for the agreements workbench, on the sample agreements (if loaded):
    a coordinator, a company representative, an auditor and a regulator."""
    from limpia.access.models import RoleAssignment
    from limpia.agreements.models import Agreement, Company
    from limpia.core.models import Organization
    from limpia.registry.models import Expert

    fruit = Agreement.objects.filter(code="APL-EJ-FRUTA").first()
    bakery = Agreement.objects.filter(code="APL-EJ-PANADE").first()
    if fruit is None or bakery is None:
        return {}
    created = {}

    def account(username):
        if users.objects.filter(username=username).exists():
            return None
        if password:
            check_password(password, username=username)
        generated = password or secrets.token_urlsafe(12)
        created[username] = None if password else generated
        return users.objects.create_user(username, password=generated)

    if user := account("coordinadora"):
        for agreement in (fruit, bakery):
            RoleAssignment.objects.create(user=user, role="coordinator", agreement=agreement)
    if user := account("empresa"):
        company = Company.objects.filter(facilities__adhesions__agreement=fruit).order_by("pk")
        RoleAssignment.objects.create(user=user, role="company_rep", company=company.first())
    if user := account("auditora"):
        Expert.objects.filter(auditor_id="EJ-AUD-001", user__isnull=True).update(user=user)
    if user := account("fiscalizador"):
        RoleAssignment.objects.create(
            user=user,
            role="regulator",
            organization=Organization.objects.get(key="ejemplo-fiscalizador"),
        )
    return created
