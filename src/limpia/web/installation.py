"""Setting up an installation: database, reference data, source plans, static files, admin."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction


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
    if with_sample_data:
        call_command("loadsample", stdout=stdout)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=stdout)


@transaction.atomic
def ensure_admin(*, password: str | None) -> AdminAccount:
    """Create the `admin` superuser once; an existing account is left as it is."""
    users = get_user_model()
    if users.objects.filter(username="admin").exists():
        return AdminAccount("admin", created=False, password=None)
    generated = password or secrets.token_urlsafe(12)
    users.objects.create_superuser("admin", email="", password=generated)
    return AdminAccount("admin", created=True, password=None if password else generated)
