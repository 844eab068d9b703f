"""Anonymous API reads are answered from the cache while the data revision stands; a write
moves it. A visitor reads the agreements list; Cora (a coordinator) is never served from it."""

# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures and personas
    apl,
    cora,
    organizations,
)

URL = "/api/v1/agreements/"


def test_a_second_anonymous_read_is_answered_from_the_cache(apl, api):
    client = api()
    first = client.get(URL)
    assert first["X-Limpia-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = client.get(URL)
    assert second["X-Limpia-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert len(queries) == 1  # the data revision
    # a recorded write moves the revision: computed again, with the change
    apl.name = "APL Sector Lácteo renovado"
    apl.save()
    third = client.get(URL)
    assert third["X-Limpia-Cache"] == "miss"
    assert "renovado" in third.content.decode()
    assert int(third["X-Limpia-Revision"]) > int(first["X-Limpia-Revision"])


def test_the_language_and_query_are_part_of_the_key(apl, api):
    client = api()
    client.get(URL)
    assert client.get(URL, {"search": "Lácteo"})["X-Limpia-Cache"] == "miss"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language the visitor chose
    assert client.get(URL)["X-Limpia-Cache"] == "miss"


def test_a_signed_in_reader_is_never_served_from_the_cache(apl, api, cora, client):
    api().get(URL)
    assert "X-Limpia-Cache" not in api(cora).get(URL)  # a token or the API's own login
    client.force_login(cora)  # a session
    assert "X-Limpia-Cache" not in client.get(URL)
