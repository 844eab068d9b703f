"""The national APL dashboard, through the API and the page, as a visitor and as staff."""

import datetime as dt
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from limpia.agreements.models import Adhesion, Agreement, Facility
from limpia.agreements.tests.helpers import adhere, run_audit, set_stage

URL = "/api/v1/agreements/dashboard/"
# A1 and A2 belong to Lácteos del Sur (pequeña, Los Lagos), B1 to Gran Lechera (grande, Biobío).
FINDINGS = {
    "A1": {"1.1": True, "1.2": False, "2.1": True},  # 2/3: at or below 3/4
    "A2": {"1.1": True, "1.2": None, "2.1": True},  # 2/2: full
    "B1": {"1.1": True, "1.2": True, "2.1": True, "2.2": False},  # 3/4: not above 3/4
}
AUDITED = dt.date(2025, 11, 3)


@pytest.fixture
def audited(apl, facilities, cora, aurora):
    adhere(apl, *facilities.values())
    set_stage(apl, "final_evaluation")
    for code, findings in FINDINGS.items():
        run_audit(cora, apl, facilities[code], aurora, findings, audit_date=AUDITED)
    return apl


def test_it_counts_the_programme_on_a_date(api, audited):
    board = api().get(URL, {"as_of": "2025-12-31"}).json()
    assert board["agreements"]["total"] == 1
    assert [s for s in board["agreements"]["by_stage"] if s["agreements"]] == [
        {"stage": "final_evaluation", "label": "Evaluación final", "agreements": 1}
    ]
    assert board["adhered"] == {"companies": 2, "facilities": 3}
    assert board["certified"] == {"companies": 0, "facilities": 0}
    mean = Fraction(2, 3) + 1 + Fraction(3, 4)
    assert board["compliance"] == {
        "facilities": 3,
        "full": 1,
        "correction": 0,
        "below": 2,
        "not_assessable": 0,
        "mean": {
            "value": round(float(mean / 3), 6),
            "numerator": (mean / 3).numerator,
            "denominator": (mean / 3).denominator,
        },
    }
    by_size = {g["key"]: g for g in board["by_size"]}
    assert by_size["pequeña"]["facilities_adhered"] == 2
    assert by_size["pequeña"]["compliance"]["mean"]["numerator"] == 5  # (2/3 + 1) / 2 = 5/6
    assert by_size["grande"]["compliance"]["below"] == 1
    by_region = {g["key"]: g["facilities_adhered"] for g in board["by_region"]}
    assert by_region == {"CL-LL": 2, "CL-BI": 1}
    assert [y["year"] for y in board["by_year"]] == [2024]  # the adhesions


def test_it_reads_the_past_as_it_was(api, audited, facilities):
    # before the audits: adhered, nothing audited yet
    board = api().get(URL, {"as_of": "2025-01-31"}).json()
    assert board["adhered"]["facilities"] == 3
    assert board["compliance"]["facilities"] == 0
    assert board["compliance"]["mean"] is None
    # a withdrawal counts from its date on
    Adhesion.objects.filter(facility=facilities["B1"]).update(withdrawn_on=dt.date(2025, 6, 1))
    assert api().get(URL, {"as_of": "2025-05-31"}).json()["adhered"]["facilities"] == 3
    assert api().get(URL, {"as_of": "2025-06-01"}).json()["adhered"]["facilities"] == 2
    # before the adhesions: nothing
    assert api().get(URL, {"as_of": "2023-01-01"}).json()["adhered"]["facilities"] == 0


def test_it_names_a_bad_date(api, db):  # the cache reads the data revision first
    response = api().get(URL, {"as_of": "31/12/2025"})
    assert response.status_code == 400
    assert "as_of" in response.content.decode()


def test_the_public_does_not_see_agreements_in_negotiation(api, audited, cora):
    Agreement.objects.filter(pk=audited.pk).update(stage="negotiation")
    assert api().get(URL).json()["adhered"]["facilities"] == 0
    assert api(cora).get(URL).json()["adhered"]["facilities"] == 3


def test_it_runs_a_fixed_number_of_queries(api, audited, apl, lacteos, cora, aurora):
    client = api()
    with CaptureQueriesContext(connection) as before:
        client.get(URL, {"as_of": "2025-12-31"})
    for n in range(5):
        facility = Facility.objects.create(
            company=lacteos, code=f"X{n}", name=f"X{n}", subdivision_id="CL-RM"
        )
        Adhesion.objects.create(agreement=apl, facility=facility, adhered_on=dt.date(2024, 2, 1))
        run_audit(cora, apl, facility, aurora, FINDINGS["A1"], audit_date=AUDITED)
    with CaptureQueriesContext(connection) as after:
        board = client.get(URL, {"as_of": "2025-12-31"}).json()
    assert board["compliance"]["facilities"] == 8
    # the adhesions' and the certificates' distinct counts come in one query each (overall
    # and per sector, region and size); the distribution of an earlier day in one query
    assert len(before) == len(after) == 11


def test_the_page_shows_the_figures(client, audited, apl, lacteos):
    # a facility adhered in a region where nothing is audited yet: "not assessable" there
    facility = Facility.objects.create(
        company=lacteos, code="Z1", name="Planta Arica", subdivision_id="CL-AP"
    )
    Adhesion.objects.create(agreement=apl, facility=facility, adhered_on=dt.date(2024, 2, 1))
    response = client.get("/agreements/dashboard/", {"as_of": "2025-12-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="companies_adhered">2<' in html
    assert 'data-band="full"' in html
    assert "Los Lagos" in html
    assert 'data-key="CL-AP"' in html
    # a bad date is named on the page, the figures fall back to today
    response = client.get("/agreements/dashboard/", {"as_of": "tomorrow"})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()


def test_the_page_keeps_its_figures_for_visitors_until_the_data_move(audited, client, cora):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = client.get("/agreements/dashboard/").content.decode()
    assert "3 instalaciones</div>" in first  # adhered
    with CaptureQueriesContext(connection) as kept:
        again = client.get("/agreements/dashboard/").content.decode()
    assert again.count("instalaciones</div>") == first.count("instalaciones</div>")
    with CaptureQueriesContext(connection) as computed:
        client.force_login(cora)
        client.get("/agreements/dashboard/")
    assert len(kept) < len(computed) - 10  # the figures' queries were not run again
    client.logout()
    # a recorded write (a withdrawal through its service) moves the revision
    from limpia.agreements import services

    adhesion = Adhesion.objects.filter(agreement=audited).order_by("id").first()
    services.adhesion_withdraw(
        acting_user=cora, adhesion=adhesion, on=dt.date(2025, 12, 1), reason="Cierre de planta"
    )
    after = client.get("/agreements/dashboard/").content.decode()
    assert "3 instalaciones</div>" not in after and "2 instalaciones</div>" in after


def test_todays_figures_are_stored_per_audience_and_read_back_as_computed(api, audited, ana, cora):
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from limpia.agreements import dashboard
    from limpia.agreements.models import DashboardFigures
    from limpia.plans.snapshots import data_revision

    public = api().get(URL).json()
    assert public["computed_at"] is not None and public["counting_changes"] is False
    api(ana).get(URL)  # an administrator sees every agreement: figures of their own
    revision = data_revision()
    assert set(DashboardFigures.objects.values_list("audience", "revision")) == {
        ("public", revision),
        ("all", revision),
    }
    # a coordinator also sees the drafts they coordinate: computed for them, not stored
    assert api(cora).get(URL).json()["computed_at"] is None
    # read back from the stored JSON, the figures (exact means included) are those computed
    today = timezone.localdate()
    stored = dashboard.current(AnonymousUser(), as_of=today)
    assert stored.computed_at is not None
    computed = dashboard.national(dashboard.agreements_of("public"), as_of=today)
    assert dashboard.as_json(stored.board) == dashboard.as_json(computed)
    assert stored.board.compliance.mean == (Fraction(2, 3) + 1 + Fraction(3, 4)) / 3


def test_a_large_programme_shows_the_earlier_figures_while_the_worker_counts_the_change(
    client, audited, cora, monkeypatch, django_capture_on_commit_callbacks
):
    """Above STALE_ABOVE_FACILITIES a write does not make the next visitor wait for the
    figures: the page shows those stored earlier today, says so, and the job worker (immediate
    in the tests) stores them at the new revision."""
    from limpia.agreements import dashboard, services
    from limpia.agreements.models import DashboardFigures
    from limpia.plans.snapshots import data_revision

    monkeypatch.setattr(dashboard, "STALE_ABOVE_FACILITIES", 2)  # the programme has 3
    first = client.get("/agreements/dashboard/").content.decode()
    assert "3 instalaciones</div>" in first
    assert "con todos los cambios hasta ahora" in first  # Spanish, the site's language
    adhesion = Adhesion.objects.filter(agreement=audited).order_by("id").first()
    services.adhesion_withdraw(
        acting_user=cora, adhesion=adhesion, on=dt.date(2025, 12, 1), reason="Cierre de planta"
    )
    with django_capture_on_commit_callbacks(execute=True) as jobs:
        stale = client.get("/agreements/dashboard/").content.decode()
    assert "3 instalaciones</div>" in stale  # the earlier figures, said to be so
    assert "los últimos cambios se están contando" in stale
    assert len(jobs) == 1  # the refresh, asked once for this revision
    assert DashboardFigures.objects.get(audience="public").revision == data_revision()
    fresh = client.get("/agreements/dashboard/").content.decode()
    assert "2 instalaciones</div>" in fresh and "con todos los cambios hasta ahora" in fresh
    with django_capture_on_commit_callbacks(execute=True) as again:
        client.get("/agreements/dashboard/")
    assert again == []


def test_a_small_programme_is_counted_again_at_once_after_a_write(api, audited, cora):
    from limpia.agreements import services

    assert api().get(URL).json()["adhered"]["facilities"] == 3
    adhesion = Adhesion.objects.filter(agreement=audited).order_by("id").first()
    services.adhesion_withdraw(
        acting_user=cora, adhesion=adhesion, on=dt.date(2025, 12, 1), reason="Cierre de planta"
    )
    board = api().get(URL).json()
    assert board["adhered"]["facilities"] == 2 and board["counting_changes"] is False


def test_the_job_forgets_earlier_days_and_recounts_todays(audited, ana):
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from limpia.agreements import dashboard
    from limpia.agreements.models import DashboardFigures

    today = timezone.localdate()
    dashboard.current(AnonymousUser(), as_of=today)
    DashboardFigures.objects.update(revision=-1)
    old = DashboardFigures.objects.get()
    old.pk, old.as_of = None, today - dt.timedelta(days=1)
    old.save()
    assert dashboard.refresh() == 1  # today's, recounted
    assert list(DashboardFigures.objects.values_list("as_of", flat=True)) == [today]
    assert dashboard.refresh() == 0  # nothing moved since
