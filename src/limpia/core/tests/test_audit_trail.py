"""The audit trail: every change says who, when, what and from where (web, API, terminal,
import); objects show their history to those who may change them; an administrator brings
deleted records back."""

import pytest
from django.test import Client
from django.utils import translation

from limpia.core.audit import Source, change_source, current_source
from limpia.core.history import history_entries
from limpia.core.models import Sector
from limpia.plans import services
from limpia.plans.models import Indicator, Measurement, Node


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def logged_in(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def test_it_records_the_channel_of_each_change(plan, elena, rita, api):
    node = Node.objects.get(plan=plan, code="1.1")
    api(elena).patch(
        f"/api/v1/nodes/{node.pk}/", {"title": "Por la API", "version": node.version}, format="json"
    )
    assert node.history.first().history_source == Source.API
    client = logged_in(rita)
    client.post(
        "/plans/plan-prueba/indicators/I1/measurements/new/",
        {"date": "2022-07-02", "value": "12"},
    )
    measurement = Measurement.objects.get(indicator__code="I1")
    assert measurement.history.first().history_source == Source.WEB
    assert (measurement.history.first().history_user, measurement.created_by) == (rita, rita)
    with change_source(Source.CLI):
        services.measurement_submit(acting_user=rita, measurement=measurement)
    assert measurement.history.first().history_source == Source.CLI


def test_an_import_is_recorded_as_an_import(plan, ana):
    from limpia.exchange.plan_import import apply, parse_plan_workbook
    from limpia.exchange.workbooks import export_plan

    workbook = export_plan(plan, "xlsx")
    Node.objects.filter(plan=plan, code="1.1").update(title="Cambiado a mano")
    apply(parse_plan_workbook(workbook), acting_user=ana)
    record = Node.objects.get(plan=plan, code="1.1").history.first()
    assert (record.history_source, record.history_user) == (Source.IMPORT, ana)


def test_the_terminal_marks_what_its_commands_change(monkeypatch):
    import contextvars

    from limpia.cli import main

    seen = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line",
        lambda argv: seen.append(current_source()),
    )
    contextvars.copy_context().run(main, ["limpia", "check"])
    assert seen == [Source.CLI]
    assert current_source() == ""  # nothing leaks out of the command's context


def test_the_page_shows_what_changed_to_who_may_change_it(plan, elena, api, visitor_client):
    node = Node.objects.get(plan=plan, code="1.1")
    before = node.title
    api(elena).patch(
        f"/api/v1/nodes/{node.pk}/",
        {"title": "Título corregido", "version": node.version},
        format="json",
    )
    entries = history_entries(node)
    assert entries[0].user == "elena" and entries[0].source == "API"
    assert [(c.old, c.new) for c in entries[0].changes if c.name == "title"] == [
        (before, "Título corregido")
    ]
    url = f"/plans/{plan.slug}/nodes/{node.normalized_code}/"
    page = logged_in(elena).get(url).content.decode()
    assert 'id="history"' in page and "Título corregido" in page and "API" in page
    assert 'id="history"' not in visitor_client.get(url).content.decode()


def test_an_administrator_restores_a_deleted_subtree(plan, elena, ana, rita, api):
    node = Node.objects.get(plan=plan, code="2")
    Node.objects.create(plan=plan, parent=node, code="2.1", title="Hija")
    indicator = Indicator.objects.create(plan=plan, node=node, code="I9", name="Sin datos")
    snapshot = {n.pk: (n.code, n.parent_id, n.title) for n in Node.objects.filter(plan=plan)}
    assert api(elena).delete(f"/api/v1/nodes/{node.pk}/").status_code == 204
    assert not Node.objects.filter(code__in=["2", "2.1"], plan=plan).exists()
    assert not Indicator.objects.filter(pk=indicator.pk).exists()

    assert logged_in(rita).get("/deleted/").status_code == 403
    admin = logged_in(ana)
    page = admin.get("/deleted/").content.decode()
    # the node, its child, the indicator just added and the one it had (I3)
    assert page.count('class="deleted-record"') == 4
    history_id = node.history.filter(history_type="-").get().history_id
    response = admin.post(
        "/deleted/restore/", {"model": "plans.node", "history_id": history_id}, follow=True
    )
    assert "Restored:" in response.content.decode()
    restored = {n.pk: (n.code, n.parent_id, n.title) for n in Node.objects.filter(plan=plan)}
    assert restored == snapshot
    assert Indicator.objects.get(pk=indicator.pk).node_id == node.pk
    latest = Node.objects.get(pk=node.pk).history.first()
    assert (latest.history_user, latest.history_change_reason) == (ana, "restored")
    assert 'class="deleted-record"' not in admin.get("/deleted/").content.decode()
    again = admin.post("/deleted/restore/", {"model": "plans.node", "history_id": history_id})
    assert again.status_code == 302  # a message says there is nothing to restore


def test_a_restored_document_gets_its_sectors_back(ana):
    from limpia.knowledge.models import Document
    from limpia.knowledge.tests.conftest import make_document

    document = make_document(ana, kind="study", title="Estudio", sectors=["10", "11"])
    pk = document.pk
    document._history_user = ana
    document.delete()
    from limpia.core.recovery import record_restore

    history_id = Document.history.filter(id=pk, history_type="-").get().history_id
    record_restore(acting_user=ana, model_label="knowledge.document", history_id=history_id)
    codes = set(Sector.objects.filter(document__pk=pk).values_list("code", flat=True))
    assert codes == {"10", "11"}


@pytest.fixture
def visitor_client():
    client = Client()
    client.cookies["django_language"] = "en"
    return client
