"""A large agreement's report is prepared by the job worker and kept; a kept report is served
until the data move (plans.snapshots.data_revision). A visitor asks for it on the web."""

# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import pytest

from limpia.agreements.models import Agreement
from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures and personas
    apl,
    organizations,
)
from limpia.reports import stored, tasks
from limpia.reports.models import StoredReport
from limpia.reports.tests.pdftext import xmp_title

URL = "/agreements/apl-lacteo/report.pdf"


def test_a_kept_report_is_served_until_the_data_move(apl, reports_site, client, monkeypatch):
    first = client.get(URL)
    assert first.status_code == 200
    row = StoredReport.objects.get(slug="apl-lacteo")
    assert stored.path_of(row).read_bytes() == first.content

    def must_not_render(*args):
        raise AssertionError("the kept report should have been served")

    monkeypatch.setattr(stored, "render", must_not_render)
    assert client.get(URL).content == first.content
    monkeypatch.undo()
    # a change to the agreement (history recorded) moves the revision: rendered again
    apl.name = "APL Sector Lácteo (segunda fase)"
    apl.save()
    again = client.get(URL)
    assert xmp_title(again.content) == "Informe final consolidado: APL Sector Lácteo (segunda fase)"
    assert StoredReport.objects.get(pk=row.pk).revision > row.revision


@pytest.fixture
def large(monkeypatch):
    monkeypatch.setattr(stored, "IN_REQUEST_FACILITIES", -1)  # every agreement counts as large
    queued = []

    class Worker:  # the task queue, seen from the request: what it was given
        enqueue = staticmethod(queued.append)

    monkeypatch.setattr(tasks, "render_stored_report", Worker)
    return queued


def test_a_large_agreements_report_is_prepared_by_the_worker(apl, reports_site, client, large):
    pending = client.get(URL)
    assert pending.status_code == 202
    html = pending.content.decode()
    assert '<meta http-equiv="refresh" content="5">' in html
    assert "segundo plano" in html  # Spanish first: "se prepara en segundo plano"
    assert len(large) == 1
    assert client.get(URL).status_code == 202  # asked again: not queued twice
    assert len(large) == 1
    assert stored.run(large[0]) == "done"  # the worker
    ready = client.get(URL)
    assert ready.status_code == 200
    assert xmp_title(ready.content) == "Informe final consolidado: APL Sector Lácteo"
    assert stored.run(large[0]) == "done"  # a second worker claims nothing


def test_a_failed_report_says_so_and_is_queued_again_after_a_change(
    apl, reports_site, client, large, monkeypatch
):
    def broken(*args):
        raise RuntimeError("typst is missing")

    monkeypatch.setattr(stored, "render", broken)
    client.get(URL)
    assert stored.run(large[0]) == "failed"
    row = StoredReport.objects.get(pk=large[0])
    assert "typst is missing" in row.error
    failed = client.get(URL)
    assert failed.status_code == 503
    assert "refresh" not in failed.content.decode()
    Agreement.objects.get(pk=apl.pk).save()  # any recorded write
    assert client.get(URL).status_code == 202
    assert len(large) == 2


def test_an_earlier_days_report_is_removed(apl, reports_site, client):
    import datetime as dt

    from django.utils import timezone

    client.get(URL)
    today = StoredReport.objects.get()
    yesterday = StoredReport.objects.create(
        kind="agreement",
        slug="apl-lacteo",
        language="es",
        day=timezone.localdate() - dt.timedelta(days=1),
        revision=today.revision,
        status="done",
        file="old.pdf",
    )
    stored.path_of(yesterday).write_bytes(b"%PDF old")
    StoredReport.objects.filter(pk=today.pk).update(revision=0)  # make today's stale
    assert client.get(URL).status_code == 200
    assert not StoredReport.objects.filter(pk=yesterday.pk).exists()
    assert not stored.path_of(yesterday).exists()
