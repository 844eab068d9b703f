"""Two-factor sign-in for administrators: enrolment with a QR code, the code after the password
(web, back office, API token), optional unless LIMPIA_ADMIN_REQUIRE_2FA."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

PASSWORD = "contraseña-segura-1"
VERIFY = "/accounts/two-factor/verify/"
ENROL = "/accounts/two-factor/"


def code(device) -> str:
    """The code the person's app shows now."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:06d}"


def wrong_code(device) -> str:
    return "000000" if code(device) != "000000" else "111111"


@pytest.fixture
def no_throttle(settings):
    """django-otp makes each try after a wrong code wait (1 s, 2 s, 4 s...): not in these tests."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def ana_device(ana):
    return TOTPDevice.objects.create(user=ana, name="Limpia", confirmed=True)


def log_in(client, username, next_url="/workspace/"):
    response = client.post(
        "/accounts/login/", {"username": username, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302, response.content
    return response


def test_it_lets_an_administrator_enrol_an_authenticator(client, ana, no_throttle):
    client.force_login(ana)

    page = client.get(ENROL)
    device = TOTPDevice.objects.get(user=ana)
    refused = client.post(ENROL, {"code": wrong_code(device)})
    accepted = client.post(ENROL, {"code": code(device), "next": "/workspace/"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert '<svg width="' in html and 'class="segno"' in html
    assert "otpauth://totp/Limpia%3Aana?secret=" in html
    assert refused.status_code == 200
    assert refused.context["form"].errors["code"]
    assert accepted.status_code == 302
    assert accepted["Location"] == "/workspace/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/workspace/").status_code == 200  # this session gave its code already


def test_it_asks_an_enrolled_administrator_for_the_code_after_the_password(
    client, ana_device, no_throttle
):
    log_in(client, "ana")

    held = client.get("/workspace/")
    held_admin = client.get("/admin/")
    held_api = client.get("/api/v1/plans/")
    refused = client.post(VERIFY, {"code": wrong_code(ana_device), "next": "/workspace/"})
    accepted = client.post(VERIFY, {"code": code(ana_device), "next": "/workspace/"})

    assert held.status_code == 302
    assert held["Location"] == f"{VERIFY}?next=/workspace/"
    assert held_admin["Location"] == f"{VERIFY}?next=/admin/"
    assert held_api.status_code == 403
    assert held_api.json()["code"] == "second_factor_required"
    assert refused.status_code == 200
    assert refused.context["form"].errors["code"]
    assert accepted.status_code == 302
    assert accepted["Location"] == "/workspace/"
    assert client.get("/workspace/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_it_makes_each_try_wait_longer_after_a_wrong_code(client, ana_device):
    log_in(client, "ana")

    client.post(VERIFY, {"code": wrong_code(ana_device)})
    too_soon = client.post(VERIFY, {"code": code(ana_device)})

    assert too_soon.status_code == 200
    assert too_soon.context["form"].errors["code"]
    assert client.get("/workspace/").status_code == 302


def test_it_lets_an_administrator_without_an_authenticator_log_in_as_before(client, ana):
    log_in(client, "ana")

    assert client.get("/workspace/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_it_sends_administrators_without_an_authenticator_to_set_one_up_when_required(
    client, ana, carlos, settings, no_throttle
):
    settings.ADMIN_REQUIRE_2FA = True
    log_in(client, "ana")
    someone_else = Client()
    log_in(someone_else, "carlos")

    held = client.get("/workspace/")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=ana)
    client.post(ENROL, {"code": code(device)})

    assert held["Location"] == f"{ENROL}?next=/workspace/"
    assert someone_else.get("/workspace/").status_code == 200  # not an administrator
    assert client.get("/workspace/").status_code == 200


def test_it_asks_for_the_code_to_give_an_api_token(ana_device, no_throttle):
    client = APIClient()
    body = {"username": "ana", "password": PASSWORD}

    missing = client.post("/api/v1/auth/token/", body, format="json")
    wrong = client.post(
        "/api/v1/auth/token/", {**body, "otp": wrong_code(ana_device)}, format="json"
    )
    right = client.post("/api/v1/auth/token/", {**body, "otp": code(ana_device)}, format="json")

    assert missing.status_code == 400
    assert (missing.json()["field"], missing.json()["code"]) == ("otp", "otp_required")
    assert wrong.status_code == 400
    assert wrong.json()["field"] == "otp"
    assert right.status_code == 200
    assert right.json()["token"]


def test_it_turns_two_factor_sign_in_off_only_with_a_current_code(client, ana, no_throttle):
    client.force_login(ana)
    device = TOTPDevice.objects.create(user=ana, name="Limpia", confirmed=True)

    client.post("/accounts/two-factor/remove/", {"code": wrong_code(device)})
    kept = TOTPDevice.objects.filter(user=ana).exists()
    client.post("/accounts/two-factor/remove/", {"code": code(device)})

    assert kept
    assert not TOTPDevice.objects.filter(user=ana).exists()
    client.post("/accounts/logout/")
    log_in(client, "ana")
    assert client.get("/workspace/").status_code == 200


def test_it_offers_two_factor_sign_in_to_administrators_only(client, carlos, ana):
    client.force_login(carlos)
    assert client.get(ENROL).status_code == 403

    client.force_login(ana)
    assert 'href="/accounts/two-factor/"' in client.get("/workspace/").content.decode()
