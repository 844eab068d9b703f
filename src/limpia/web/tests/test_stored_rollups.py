"""Stored rollups (plans.snapshots): the home page and a large plan's page read the rollups
stored for today, and any write moves the data revision so that they are computed again.

Personas: a visitor (anonymous), Rita the reporter and Rosa the reviewer of the conftest."""

import datetime as dt
from decimal import Decimal

import pytest

from limpia.plans import services
from limpia.plans.models import Indicator, Measurement, PlanRollup
from limpia.plans.snapshots import data_revision, rollups_of
from limpia.web import views
from limpia.web.tests.test_pages import big_plan, count_queries


def test_a_write_moves_the_revision_and_the_home_page_shows_it(plan_builder, client, ministry):
    plan = big_plan(plan_builder)
    first = client.get("/").content.decode()
    stored = PlanRollup.objects.get(plan=plan)
    assert stored.revision == data_revision()
    indicator = Indicator.objects.filter(plan=plan).order_by("id").first()
    before = data_revision()
    # a measurement that meets the target, recorded as a service would (history kept)
    Measurement.objects.create(
        indicator=indicator, date=dt.date(2022, 1, 1), value=100, status="approved"
    )
    assert data_revision() > before
    second = client.get("/").content.decode()
    assert PlanRollup.objects.get(plan=plan).revision == data_revision()
    assert first != second  # the plan's progress moved with the new measurement


def test_a_large_home_shows_the_earlier_figures_while_the_worker_counts_the_change(
    plan_builder, client, monkeypatch, django_capture_on_commit_callbacks
):
    """Above STALE_ABOVE_INDICATORS the home page does not compute every plan after a write:
    it shows the figures stored earlier today, says when they were computed, and the job
    worker (immediate in the tests) stores them at the new revision."""
    from limpia.plans import snapshots

    monkeypatch.setattr(snapshots, "STALE_ABOVE_INDICATORS", 10)  # the plan has 60
    plan = big_plan(plan_builder)
    first = client.get("/").content.decode()
    assert "con todos los cambios hasta ahora" in first  # Spanish, the site's language
    indicator = Indicator.objects.filter(plan=plan).order_by("id").first()
    Measurement.objects.create(
        indicator=indicator, date=dt.date(2022, 1, 1), value=100, status="approved"
    )
    with django_capture_on_commit_callbacks(execute=True) as jobs:
        stale = client.get("/").content.decode()
    assert "los últimos cambios se están contando" in stale
    assert stale.split("<tbody>")[1] == first.split("<tbody>")[1]  # the earlier figures
    assert len(jobs) == 1  # the refresh, asked once for this revision
    assert PlanRollup.objects.get(plan=plan).revision == data_revision()  # the job ran
    fresh = client.get("/").content.decode()
    assert "con todos los cambios hasta ahora" in fresh
    assert fresh.split("<tbody>")[1] != first.split("<tbody>")[1]
    # a later read of the same revision does not ask again
    with django_capture_on_commit_callbacks(execute=True) as again:
        client.get("/")
    assert again == []


def test_the_stored_rollups_equal_the_computed_ones(plan_builder):
    from django.utils import timezone

    from limpia.plans.progress import plan_tree

    plan = big_plan(plan_builder)
    today = timezone.localdate()
    computed = rollups_of([plan], as_of=today)[plan.pk]  # computed and stored
    stored = rollups_of([plan], as_of=today)[plan.pk]  # read back
    tree = plan_tree(plan, as_of=today)
    assert stored.rollup == computed.rollup == tree.rollup
    assert stored.nodes == {n.node.pk: n.rollup for n in tree.walk()}
    # another day is computed, not stored
    rollups_of([plan], as_of=today - dt.timedelta(days=30))
    assert PlanRollup.objects.get(plan=plan).as_of == today


def test_plans_are_computed_in_batches_of_indicators_with_the_same_rollups(
    plan_builder, monkeypatch
):
    """Memory holds one batch of plans' indicators at a time; the rollups do not change."""
    from django.utils import timezone

    from limpia.plans import snapshots
    from limpia.plans.progress import plan_tree

    plans = [big_plan(plan_builder, slug=f"plan-{n}") for n in range(3)]  # 60 indicators each
    today = timezone.localdate()
    assert [len(b) for b in snapshots._batches(plans)] == [3]
    monkeypatch.setattr(snapshots, "BATCH_INDICATORS", 100)  # two plans would be 120
    assert [len(b) for b in snapshots._batches(plans)] == [1, 1, 1]
    monkeypatch.setattr(snapshots, "BATCH_INDICATORS", 130)
    assert [len(b) for b in snapshots._batches(plans)] == [2, 1]
    batched = rollups_of(plans, as_of=today)
    for plan in plans:
        tree = plan_tree(plan, as_of=today)
        assert batched[plan.pk].rollup == tree.rollup
        assert batched[plan.pk].nodes == {n.node.pk: n.rollup for n in tree.walk()}
    assert PlanRollup.objects.filter(plan__in=plans, revision=data_revision()).count() == 3


@pytest.fixture
def large(monkeypatch):
    monkeypatch.setattr(views, "LARGE_PLAN", 10)  # the 60-indicator plan counts as large


def test_a_large_plan_opens_on_its_first_two_levels(plan_builder, client, large):
    big_plan(plan_builder)
    html = client.get("/plans/plan-grande/").content.decode()
    assert "1.1" in html and "1.1.1" not in html  # objectives and lines, no actions
    assert "Indicador 1.1.1" not in html
    assert "?expand=all&amp;as_of=" in html  # the link to the whole plan
    stored = count_queries(client, "/plans/plan-grande/")
    # the plan, the count, the revision, the stored rollups, nodes and responsibilities of
    # the first levels, subplans: however many indicators
    assert stored == 7
    everything = client.get("/plans/plan-grande/?expand=all").content.decode()
    assert "Indicador 1.1.1" in everything and "?expand=all&amp;as_of=" not in everything
    # a filter looks at every indicator: the whole tree
    filtered = client.get("/plans/plan-grande/?status=on_track").content.decode()
    assert "?expand=all&amp;as_of=" not in filtered


def test_an_element_page_reads_only_its_subtree(plan_builder, client):
    big_plan(plan_builder)
    html = client.get("/plans/plan-grande/nodes/1.2/").content.decode()
    assert "Indicador 1.2.3" in html and "Indicador 1.3.1" not in html
    assert "1.2.1" in html


def test_a_reporters_submission_moves_the_revision(plan, rita, rosa):
    indicator = Indicator.objects.get(plan=plan, code="I1")
    before = data_revision()
    measurement = services.measurement_create(
        acting_user=rita, indicator=indicator, date=dt.date(2023, 6, 30), value=Decimal("5")
    )
    services.measurement_submit(acting_user=rita, measurement=measurement)
    services.measurement_approve(acting_user=rosa, measurement=measurement)
    assert data_revision() >= before + 3


def test_a_large_plan_page_shows_when_its_figures_were_computed(
    plan_builder, client, large, monkeypatch, django_capture_on_commit_callbacks
):
    from limpia.plans import snapshots

    monkeypatch.setattr(snapshots, "STALE_ABOVE_INDICATORS", 10)
    plan = big_plan(plan_builder)
    first = client.get("/plans/plan-grande/").content.decode()
    assert "con todos los cambios hasta ahora" in first  # computed now, every change counted
    indicator = Indicator.objects.filter(plan=plan).order_by("id").first()
    Measurement.objects.create(
        indicator=indicator, date=dt.date(2022, 1, 1), value=100, status="approved"
    )
    with django_capture_on_commit_callbacks(execute=True) as jobs:
        stale = client.get("/plans/plan-grande/").content.decode()
    assert "los últimos cambios se están contando" in stale and len(jobs) == 1
    assert PlanRollup.objects.get(plan=plan).revision == data_revision()  # the job ran
    assert "con todos los cambios hasta ahora" in client.get("/plans/plan-grande/").content.decode()
