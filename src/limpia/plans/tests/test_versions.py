"""No lost updates: plans, nodes, indicators, targets, measurements and organizations carry a
version; a writer who read an older one gets a conflict (409 in the API, a message with the other
change in the page), never overwrites; an API update that does not say which version it read is
refused (issue 10, item 3).
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import translation

from limpia.core.errors import Conflict
from limpia.plans import services
from limpia.plans.models import Indicator, Measurement, Node


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def draft(plan, rita):
    return services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=Decimal(30),
    )


def _edit(user, measurement, value, version):
    return services.measurement_update(
        acting_user=user,
        measurement=measurement,
        date=measurement.date,
        value=Decimal(value),
        version=version,
    )


def test_it_raises_the_version_with_every_change(draft, rita, rosa):
    assert draft.version == 1
    edited = _edit(rita, draft, "40", version=1)
    assert edited.version == 2
    submitted = services.measurement_submit(acting_user=rita, measurement=edited)
    assert submitted.version == 3
    approved = services.measurement_approve(acting_user=rosa, measurement=submitted)
    assert approved.version == 4
    assert Measurement.objects.get(pk=draft.pk).version == 4


def test_it_refuses_a_stale_edit_and_names_who_changed_it(draft, rita, elena):
    _edit(elena, draft, "40", version=1)
    with pytest.raises(Conflict) as refused:
        _edit(rita, draft, "45", version=1)
    assert "was changed by elena" in refused.value.message
    assert "now at version 2" in refused.value.message
    draft.refresh_from_db()
    assert (draft.value, draft.version) == (Decimal("40"), 2)


def test_the_api_answers_409_to_a_stale_version(api, draft, rita, elena):
    url = f"/api/v1/measurements/{draft.pk}/"
    read = api(rita).get(url).json()
    assert read["version"] == 1
    assert api(elena).patch(url, {"value": "40", "version": 1}, format="json").status_code == 200
    stale = api(rita).patch(url, {"value": "45", "version": read["version"]}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert (body["code"], body["field"]) == ("conflict", "version")
    assert "elena" in body["detail"]
    fresh = api(rita).patch(url, {"value": "45", "version": 2}, format="json")
    assert (fresh.status_code, fresh.json()["version"]) == (200, 3)


def test_the_api_refuses_a_stale_node_update(api, plan, elena, ana):
    node = Node.objects.get(plan=plan, code="1.1")
    url = f"/api/v1/nodes/{node.pk}/"
    assert (
        api(ana)
        .patch(url, {"title": "Título nuevo", "version": 1}, format="json")
        .json()["version"]
        == 2
    )
    stale = api(elena).patch(url, {"title": "Otro título", "version": 1}, format="json")
    assert stale.status_code == 409
    node.refresh_from_db()
    assert (node.title, node.version) == ("Título nuevo", 2)


@pytest.mark.parametrize(
    ("kind", "url", "change"),
    [
        ("measurement", "/api/v1/measurements/{measurement}/", {"value": "45"}),
        ("node", "/api/v1/nodes/{node}/", {"title": "Otro título"}),
        ("plan", "/api/v1/plans/plan-prueba/", {"title": "Otro plan"}),
        ("indicator", "/api/v1/indicators/{indicator}/", {"name": "Otro nombre"}),
        ("target", "/api/v1/targets/{target}/", {"text": "Otra meta"}),
        ("organization", "/api/v1/organizations/minamb/", {"name": "Otro ministerio"}),
    ],
)
def test_the_api_refuses_an_update_that_does_not_say_the_version_it_read(
    api, draft, ana, kind, url, change
):
    indicator = draft.indicator
    url = url.format(
        measurement=draft.pk,
        node=indicator.node_id,
        indicator=indicator.pk,
        target=indicator.targets.get().pk,
    )
    before = api(ana).get(url).json()

    patched = api(ana).patch(url, change, format="json")
    unversioned = {key: value for key, value in before.items() if key != "version"}
    put = api(ana).put(url, {**unversioned, **change}, format="json")

    for refused in (patched, put):
        assert refused.status_code == 400, refused.json()
        assert refused.json()["field"] == "version"
        assert refused.json()["detail"].startswith("version: ")
    after = api(ana).get(url).json()
    assert after == before
    saved = api(ana).patch(url, {**change, "version": before["version"]}, format="json")
    assert (saved.status_code, saved.json()["version"]) == (200, before["version"] + 1)


def test_concurrent_api_writers_without_the_version_are_all_refused(api, draft, rita):
    """What the attack found: 20 PATCHes without the version all answered 200 and 19 were lost."""
    url = f"/api/v1/measurements/{draft.pk}/"
    answers = [
        api(rita).patch(url, {"value": str(n)}, format="json").status_code for n in range(20)
    ]
    read = api(rita).get(url).json()
    from_the_same_read = [
        api(rita).patch(url, {"value": str(n), "version": read["version"]}, format="json")
        for n in range(20)
    ]

    assert answers == [400] * 20
    assert [r.status_code for r in from_the_same_read] == [200] + [409] * 19
    draft.refresh_from_db()
    assert (draft.value, draft.version) == (Decimal(0), 2)


def test_the_page_shows_the_other_change_and_keeps_what_was_typed(draft, rita, elena):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(rita)
    url = f"/measurements/{draft.pk}/edit/"
    form = client.get(url).content.decode()
    assert 'name="version" value="1"' in form
    _edit(elena, draft, "40", version=1)  # while rita's form is open
    response = client.post(url, {"date": "2022-07-02", "value": "45", "version": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "was changed by elena" in page
    assert 'id="conflict"' in page and "40" in page
    assert 'value="45"' in page  # what rita typed is kept
    assert 'name="version" value="2"' in page  # a second Save knowingly replaces version 2
    draft.refresh_from_db()
    assert draft.value == Decimal("40")
    again = client.post(url, {"date": "2022-07-02", "value": "45", "version": "2"})
    assert again.status_code == 302
    draft.refresh_from_db()
    assert (draft.value, draft.version) == (Decimal("45"), 3)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_lose_no_update(plan_builder, rita):
    """Eight threads, each with its own database connection, edit the same measurement from the
    version they read, retrying on conflict: every edit lands exactly once, none is lost."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a database they share: this runs on PostgreSQL (CI does both)")
    from limpia.access.models import Role, RoleAssignment

    plan = plan_builder(nodes=[{"code": "1", "indicators": [{"code": "C1"}]}])
    RoleAssignment.objects.create(user=rita, role=Role.PLAN_EDITOR, plan=plan)
    measurement = services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="C1"),
        date=dt.date(2022, 1, 1),
        value=Decimal(1),
    )
    writers, edits_each = 8, 5
    landed, conflicts, errors = [], [], []
    start = threading.Barrier(writers)

    def writer(number: int) -> None:
        try:
            start.wait()
            for edit in range(edits_each):
                while True:
                    current = Measurement.objects.get(pk=measurement.pk)
                    try:
                        _edit(rita, current, str(number * 100 + edit), version=current.version)
                    except Conflict:
                        conflicts.append(number)
                        continue
                    landed.append((number, edit))
                    break
        except Exception as exc:  # reported below: a thread must not die silently
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection, so the test database can go

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(landed) == writers * edits_each
    final = Measurement.objects.get(pk=measurement.pk)
    assert final.version == 1 + writers * edits_each  # each edit raised it exactly once
    history = final.history.filter(history_change_reason="edited").count()
    assert history == writers * edits_each
    print(f"{len(landed)} edits landed, {len(conflicts)} conflicts detected and retried")
