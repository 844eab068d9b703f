"""The read replica router (core/replica.py): an anonymous GET reads through the "replica"
alias; a signed-in visitor's request, a request with an API token, any POST, a read inside a
transaction and a read after a write all go to "default".

How the replica is there, on SQLite and PostgreSQL alike: each test runs inside one transaction
on "default", which a second connection (a TEST MIRROR) would not see, and on SQLite would
wait on for its lock. So the "replica" alias is added for these tests only, with default's
settings and default's open connection (its own wrapper, so its own query log): which alias a
query went through is seen without a second server, and the rest of the suite knows no replica
(settings_test.py). What a real replica adds, lag, is why reads after a write stay on default.
"""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from limpia.accounts.services import api_token_create
from limpia.core.replica import public_read
from limpia.plans.models import Plan


@pytest.fixture(autouse=True)
def replica_on(settings):
    """What LIMPIA_REPLICA_DATABASE_URL turns on in settings.py."""
    settings.DATABASE_ROUTERS = ["limpia.core.replica.ReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    at = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    middleware.insert(at, "limpia.core.replica.PublicReadMiddleware")
    settings.MIDDLEWARE = middleware


@pytest.fixture(autouse=True)
def replica(db):
    default = connections["default"]
    default.ensure_connection()
    connections.settings["replica"] = dict(default.settings_dict)
    replica = connections["replica"]
    replica.connection = default.connection
    yield replica
    replica.connection = None  # default's to close, not the replica's
    del connections["replica"]
    del connections.settings["replica"]


def captured(do):
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as default,
    ):
        result = do()
    return result, replica.captured_queries, default.captured_queries


def plans_read(queries):
    return [q["sql"] for q in queries if 'FROM "plans_plan"' in q["sql"]]


def test_an_anonymous_get_reads_the_plans_from_the_replica(client, plan):
    response, replica, default = captured(lambda: client.get("/api/v1/plans/"))
    assert response.status_code == 200
    assert plan.slug in {row["slug"] for row in response.json()["results"]}
    assert plans_read(replica)
    assert default == []


def test_a_signed_in_visitor_reads_from_default(client, plan, ana):
    client.force_login(ana)
    response, replica, default = captured(lambda: client.get("/api/v1/plans/"))
    assert response.status_code == 200
    assert replica == []
    assert plans_read(default)


def test_a_request_with_an_api_token_reads_from_default(client, plan, ana):
    _, key = api_token_create(acting_user=ana, user=ana, name="lectura")
    response, replica, default = captured(
        lambda: client.get("/api/v1/plans/", headers={"authorization": f"Token {key}"})
    )
    assert response.status_code == 200
    assert replica == []  # the token, just made, is looked up where it was written
    assert plans_read(default)


def test_an_anonymous_post_never_touches_the_replica(client, ana):
    form = {"username": "ana", "password": "equivocada"}
    response, replica, default = captured(lambda: client.post("/accounts/login/", form))
    assert response.status_code == 200  # the form again, with its error; a failure recorded
    assert replica == []
    assert default


def test_reads_inside_a_transaction_or_after_a_write_go_to_default(plan):
    with public_read():
        assert Plan.objects.all().db == "replica"
        with transaction.atomic():
            assert Plan.objects.all().db == "default"
        Plan.objects.filter(pk=plan.pk).update(title="Plan renombrado")
        assert Plan.objects.all().db == "default"  # it may not have replicated yet
    assert Plan.objects.all().db == "default"  # outside a public read
