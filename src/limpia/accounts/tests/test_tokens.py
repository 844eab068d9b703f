"""API tokens: hashed in the database, a new one at each request, listed and revoked by their
owner (API and web), refused once revoked or expired."""

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from limpia.accounts.models import ApiToken
from limpia.accounts.services import api_token_create

PASSWORD = "contraseña-segura-1"
TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"


def obtain(username, **extra):
    body = {"username": username, "password": PASSWORD, **extra}
    return APIClient().post(TOKEN, body, format="json")


def with_key(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def table_text(*tables) -> str:
    with connection.cursor() as cursor:
        rows = []
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")
            rows.extend(cursor.fetchall())
    return repr(rows)


def test_it_stores_only_a_digest_of_the_key(carlos):
    response = obtain("carlos", name="informe mensual")

    assert response.status_code == 200, response.content
    body = response.json()
    key = body["token"]
    assert len(key) == 40
    assert body["prefix"] == key[:8]
    assert body["name"] == "informe mensual"
    assert body["status"] == "active"
    stored = table_text("accounts_apitoken", "accounts_historicalapitoken")
    assert key not in stored
    assert hashlib.sha256(key.encode()).hexdigest() in stored
    assert with_key(key).get(TOKENS).status_code == 200


def test_it_gives_a_new_token_at_each_request(carlos):
    first = obtain("carlos").json()["token"]
    second = obtain("carlos").json()["token"]

    assert first != second
    listed = with_key(second).get(TOKENS).json()["results"]
    assert [t["prefix"] for t in listed] == [second[:8], first[:8]]
    assert with_key(first).get(TOKENS).status_code == 200


def test_it_refuses_a_revoked_token_and_keeps_who_revoked_it(carlos):
    body = obtain("carlos").json()
    client = with_key(body["token"])

    revoked = client.post(f"{TOKENS}{body['id']}/revoke/")
    refused = client.get(TOKENS)

    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_revoked"
    assert refused["WWW-Authenticate"] == "Token"
    history = ApiToken.objects.get(pk=body["id"]).history.order_by("history_date")
    assert [(h.history_type, h.history_user) for h in history] == [("+", carlos), ("~", carlos)]


def test_it_answers_409_when_a_token_is_revoked_twice(carlos):
    token, _key = api_token_create(acting_user=carlos, user=carlos)
    client = APIClient()
    client.force_authenticate(carlos)

    assert client.post(f"{TOKENS}{token.pk}/revoke/").status_code == 200
    again = client.post(f"{TOKENS}{token.pk}/revoke/")

    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


def test_it_refuses_an_expired_token(carlos):
    body = obtain("carlos", expires_in_days=30).json()
    assert body["expires_at"] is not None
    now = timezone.now()
    ApiToken.objects.filter(pk=body["id"]).update(
        created_at=now - dt.timedelta(days=31), expires_at=now - dt.timedelta(days=1)
    )

    refused = with_key(body["token"]).get(TOKENS)

    assert refused.status_code == 401
    assert refused.json()["code"] == "token_expired"


def test_it_refuses_an_unknown_token(carlos):
    api_token_create(acting_user=carlos, user=carlos)

    refused = with_key("0" * 40).get(TOKENS)

    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"


def test_it_lists_only_your_own_tokens_and_never_their_keys(carlos, elena):
    mine, _key = api_token_create(acting_user=carlos, user=carlos, name="mío")
    theirs, their_key = api_token_create(acting_user=elena, user=elena, name="de elena")
    client = APIClient()
    client.force_authenticate(carlos)

    listed = client.get(TOKENS).json()["results"]
    stolen = client.post(f"{TOKENS}{theirs.pk}/revoke/")

    assert [t["id"] for t in listed] == [mine.pk]
    assert "token" not in listed[0] and "digest" not in listed[0]
    assert stolen.status_code == 404
    assert with_key(their_key).get(TOKENS).status_code == 200


def test_it_answers_401_to_an_anonymous_list():
    assert APIClient().get(TOKENS).status_code == 401


def test_it_records_when_a_token_was_last_used(carlos):
    body = obtain("carlos").json()
    assert body["last_used_at"] is None

    with_key(body["token"]).get("/api/v1/plans/")

    assert ApiToken.objects.get(pk=body["id"]).last_used_at is not None


# --- the web page -----------------------------------------------------------------------------


def test_it_shows_a_new_key_once_on_the_tokens_page(client, carlos):
    client.force_login(carlos)

    created = client.post("/workspace/tokens/", {"name": "hoja de cálculo", "expires_in_days": ""})
    listed = client.get("/workspace/tokens/")

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    token = ApiToken.objects.get(user=carlos)
    key = created.context["new_token"].key
    assert key in created.content.decode()
    assert key[:8] == token.prefix
    assert with_key(key).get(TOKENS).status_code == 200
    assert token.prefix in listed.content.decode()
    assert key not in listed.content.decode()


def test_it_lets_a_person_revoke_only_their_own_tokens_on_the_web(client, carlos, elena):
    mine, my_key = api_token_create(acting_user=carlos, user=carlos)
    theirs, _key = api_token_create(acting_user=elena, user=elena)
    client.force_login(carlos)

    page = client.get("/workspace/tokens/").content.decode()
    stolen = client.post(f"/workspace/tokens/{theirs.pk}/revoke/")
    revoked = client.post(f"/workspace/tokens/{mine.pk}/revoke/", follow=True)

    assert mine.prefix in page and theirs.prefix not in page
    assert stolen.status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert revoked.redirect_chain[-1][0] == "/workspace/tokens/"
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None
    assert with_key(my_key).get(TOKENS).status_code == 401


def test_it_links_the_tokens_page_from_my_work(client, carlos):
    client.force_login(carlos)

    page = client.get("/workspace/").content.decode()

    assert 'href="/workspace/tokens/"' in page
    assert "/accounts/two-factor/" not in page  # offered to administrators only


@pytest.mark.parametrize("path", ["/workspace/tokens/", "/accounts/two-factor/"])
def test_it_sends_anonymous_visitors_to_log_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
