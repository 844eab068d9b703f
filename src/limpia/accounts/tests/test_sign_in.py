"""Signing in: lockout after repeated failed logins (web, back office, API token), Django's
password validators, the session cookie."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from limpia.accounts.lockout import lockout_message
from limpia.accounts.models import ApiToken

PASSWORD = "contraseña-segura-1"
LIMIT = settings.AXES_FAILURE_LIMIT


def fail(client, path, username, times):
    return [
        client.post(path, {"username": username, "password": "equivocada"}) for _ in range(times)
    ]


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_it_locks_out_a_username_after_repeated_failed_logins(client, ana, path):
    before = fail(client, path, "ana", LIMIT - 1)
    locked = fail(client, path, "ana", 1)[0]
    right = client.post(path, {"username": "ana", "password": PASSWORD})

    assert [r.status_code for r in before] == [200] * (LIMIT - 1)  # the form, with its error
    assert locked.status_code == 429
    assert locked.context["message"] == lockout_message()
    with translation.override("en"):
        assert "blocked for 15 minutes" in lockout_message()
    assert locked["Retry-After"] == "900"
    assert right.status_code == 429  # even with the right password, during the cool-off
    assert "_auth_user_id" not in client.session


def test_it_locks_out_only_that_username_from_that_address(client, ana, carlos):
    fail(client, "/accounts/login/", "ana", LIMIT)
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")

    other_user = client.post("/accounts/login/", {"username": "carlos", "password": PASSWORD})
    other_address = elsewhere.post("/accounts/login/", {"username": "ana", "password": PASSWORD})

    assert other_user.status_code == 302
    assert other_address.status_code == 302


def test_it_lets_a_locked_out_person_in_after_the_cool_off(client, carlos):
    fail(client, "/accounts/login/", "carlos", LIMIT)
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )

    response = client.post("/accounts/login/", {"username": "carlos", "password": PASSWORD})

    assert response.status_code == 302


def test_it_forgets_failed_logins_after_a_successful_one(client, carlos):
    fail(client, "/accounts/login/", "carlos", LIMIT - 1)
    assert (
        client.post("/accounts/login/", {"username": "carlos", "password": PASSWORD}).status_code
        == 302
    )
    client.post("/accounts/logout/")

    again = fail(client, "/accounts/login/", "carlos", LIMIT - 1)

    assert [r.status_code for r in again] == [200] * (LIMIT - 1)


def test_it_locks_out_the_token_api_with_a_json_answer(carlos):
    client = APIClient()

    before = fail(client, "/api/v1/auth/token/", "carlos", LIMIT - 1)
    locked = fail(client, "/api/v1/auth/token/", "carlos", 1)[0]
    right = client.post("/api/v1/auth/token/", {"username": "carlos", "password": PASSWORD})

    assert [r.status_code for r in before] == [400] * (LIMIT - 1)
    assert before[0].json()["field"] == "password"
    assert locked.status_code == 429
    assert locked.json() == {"detail": lockout_message(), "code": "locked_out"}
    assert locked["Retry-After"] == "900"
    assert right.status_code == 429
    assert right.json()["code"] == "locked_out"
    assert not ApiToken.objects.exists()


# --- passwords --------------------------------------------------------------------------------


def test_it_refuses_a_weak_administrator_password_before_setting_up_the_demo(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMPIA_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(LIMPIA_DATA_DIR=str(tmp_path / "var"), LIMPIA_ADMIN_PASSWORD="12345678")

    result = subprocess.run(
        [sys.executable, "-m", "limpia.cli", "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2
    assert "LIMPIA_ADMIN_PASSWORD is too weak for the account 'admin'" in result.stderr
    assert not (tmp_path / "var" / "limpia.sqlite3").exists()


def test_it_refuses_a_weak_password_set_in_the_back_office(client, ana, carlos):
    client.force_login(ana)

    response = client.post(
        f"/admin/auth/user/{carlos.pk}/password/",
        {"password1": "12345678", "password2": "12345678", "usable_password": "true"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    carlos.refresh_from_db()
    assert carlos.check_password(PASSWORD)


# --- the session ------------------------------------------------------------------------------


def test_it_gives_a_new_http_only_same_site_session_at_login(client, carlos):
    session = client.session
    session["probe"] = True
    session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post("/accounts/login/", {"username": "carlos", "password": PASSWORD})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert response.status_code == 302
    assert cookie.value != before
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
