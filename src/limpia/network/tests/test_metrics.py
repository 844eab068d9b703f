"""Plan indicators computed from the network: regions with a committee and operating
regularly, bodies established, meetings held, commitments on time — across `as_of` dates, in a
fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from limpia.network import services
from limpia.network.models import Body, Commitment, Meeting
from limpia.plans.models import Indicator, Plan, Target
from limpia.plans.progress import plan_tree

D = Decimal


@pytest.fixture
def measures(db):
    plan = Plan.objects.create(
        slug="red",
        title="Red",
        country_id="CL",
        status="approved",
        period_start=dt.date(2008, 1, 1),
        period_end=dt.date(2012, 12, 31),
    )
    specs = [
        ("REG", "level", "regions_with_committee", {"country": "CL"}),
        ("OPER", "level", "regions_operating", {"country": "CL"}),
        ("SEC", "level", "regions_with_committee", {"country": "CL", "kind": "secretariat"}),
        ("EST", "level", "bodies_established", {"kind": "regional_committee", "country": "CL"}),
        ("MEET", "increment", "meetings_held", {"kinds": ["ordinary"], "country": "CL"}),
        ("ONTIME", "level", "commitments_on_time", {"body": "comite-rm"}),
    ]
    for code, measure, metric, params in specs:
        indicator = Indicator.objects.create(
            plan=plan,
            code=code,
            name=code,
            kind="quantity",
            measure=measure,
            metric=metric,
            metric_params=params,
            baseline_value=0,
            baseline_date=dt.date(2007, 12, 31),
        )
        Target.objects.create(indicator=indicator, value=100, due_date=dt.date(2012, 12, 31))
    return plan


def _body(key, code, founded, kind="regional_committee", until=None):
    return Body.objects.create(
        key=key,
        name=key,
        kind=kind,
        scope="subdivision",
        country_id="CL",
        subdivision_id=code,
        founded_on=founded,
        active_from=founded,
        active_until=until,
    )


def _meet(body, day, kind="ordinary"):
    return Meeting.objects.create(
        body=body, name=f"Sesión {day}", kind=kind, starts_on=day, ends_on=day
    )


def _values(plan, as_of):
    return {
        i.indicator.code: i.result.current_value
        for i in plan_tree(plan, as_of=as_of).all_indicators()
    }


def test_regions_operate_while_their_committee_meets(measures):
    rm = _body("comite-rm", "CL-RM", dt.date(2008, 1, 1))
    bi = _body("comite-bi", "CL-BI", dt.date(2008, 1, 1))
    _body("sec-rm", "CL-RM", dt.date(2009, 1, 1), kind="secretariat")
    _meet(rm, dt.date(2008, 3, 1))
    _meet(rm, dt.date(2008, 9, 1))
    _meet(bi, dt.date(2008, 6, 1))
    mid_2008 = _values(measures, dt.date(2008, 7, 1))
    assert mid_2008["REG"] == D("12.50")  # 2 of Chile's 16 regions have a committee
    assert mid_2008["OPER"] == D("12.50")  # and both met in the last twelve months
    assert mid_2008["EST"] == D(2)
    assert mid_2008["MEET"] == D(2)  # the September meeting is after the day
    assert mid_2008["SEC"] is None
    mid_2009 = _values(measures, dt.date(2009, 7, 1))
    assert mid_2009["REG"] == D("12.50")
    assert mid_2009["OPER"] == D("6.25")  # BI has not met since 2008-06-01
    assert mid_2009["SEC"] == D("6.25")
    late_2009 = _values(measures, dt.date(2009, 10, 1))
    assert late_2009["OPER"] == D("0.00")


def test_a_committee_operates_only_while_it_is_active(measures):
    rm = _body("comite-rm", "CL-RM", dt.date(2008, 1, 1), until=dt.date(2008, 6, 30))
    _meet(rm, dt.date(2008, 3, 1))
    assert _values(measures, dt.date(2008, 5, 1))["OPER"] == D("6.25")
    assert _values(measures, dt.date(2008, 8, 1))["OPER"] == D("0.00")
    assert _values(measures, dt.date(2008, 8, 1))["REG"] == D("0.00")


def test_cancelled_and_scheduled_meetings_do_not_count(measures):
    rm = _body("comite-rm", "CL-RM", dt.date(2008, 1, 1))
    Meeting.objects.create(
        body=rm,
        name="x",
        starts_on=dt.date(2008, 3, 1),
        ends_on=dt.date(2008, 3, 1),
        status="cancelled",
    )
    Meeting.objects.create(
        body=rm,
        name="y",
        starts_on=dt.date(2008, 4, 1),
        ends_on=dt.date(2008, 4, 1),
        status="scheduled",
    )
    values = _values(measures, dt.date(2008, 7, 1))
    assert values["OPER"] is None and values["MEET"] is None


def test_commitments_on_time_follow_their_due_dates(measures):
    rm = _body("comite-rm", "CL-RM", dt.date(2008, 1, 1))
    for title, due, done in (
        ("a", dt.date(2008, 6, 30), dt.date(2008, 6, 1)),
        ("b", dt.date(2008, 6, 30), dt.date(2008, 8, 1)),  # late
        ("c", dt.date(2009, 6, 30), None),
        ("d", dt.date(2009, 6, 30), dt.date(2009, 1, 1)),
    ):
        Commitment.objects.create(
            body=rm,
            title=title,
            rule="reported",
            due_on=due,
            done_on=done,
            status="done" if done else "open",
        )
    Commitment.objects.create(
        body=rm, title="e", rule="reported", due_on=dt.date(2008, 6, 30), status="cancelled"
    )
    assert _values(measures, dt.date(2008, 12, 1))["ONTIME"] == D("50.00")
    assert _values(measures, dt.date(2009, 12, 1))["ONTIME"] == D("50.00")  # 2 of 4


def test_panama_bodies_count_from_their_founding(network, sonia, ana):
    plan = Plan.objects.get(slug="pa-pml-plan-accion")
    codes = ("1.1.1-R", "1.1.2-R")

    def values(as_of):
        return {k: v for k, v in _values(plan, as_of).items() if k in codes}

    assert values(dt.date(2026, 1, 1)) == {"1.1.1-R": None, "1.1.2-R": None}
    secretariat = network["secretaria-interinstitucional-pml"]
    secretariat.founded_on = dt.date(2007, 3, 15)
    services.body_save(acting_user=ana, body=secretariat, version=secretariat.version)
    secretariat.refresh_from_db()
    assert secretariat.status == "active"
    assert values(dt.date(2007, 3, 1))["1.1.1-R"] is None
    assert values(dt.date(2008, 1, 1)) == {"1.1.1-R": D(1), "1.1.2-R": None}


def test_chile_meta_c_reads_the_network(network):
    plan = Plan.objects.get(slug="cl-politica-pl-2010")
    _body("comite-rm", "CL-RM", dt.date(2006, 5, 1))
    values = _values(plan, dt.date(2007, 1, 1))
    assert values["META-c"] == D("6.25")
    assert values["3.1.ii-R"] is None  # it never met


def test_the_measures_read_in_a_fixed_number_of_queries(measures):
    def count():
        with CaptureQueriesContext(connection) as queries:
            plan_tree(measures, as_of=dt.date(2009, 1, 1))
        return len(queries)

    rm = _body("comite-rm", "CL-RM", dt.date(2008, 1, 1))
    _meet(rm, dt.date(2008, 3, 1))
    small = count()
    for n, code in enumerate(("CL-BI", "CL-LL", "CL-VS", "CL-AT")):
        body = _body(f"comite-{n}", code, dt.date(2008, 1, 1))
        for month in (2, 5, 8, 11):
            _meet(body, dt.date(2008, month, 1 + n))
        Commitment.objects.create(
            body=rm, title=str(n), rule="reported", due_on=dt.date(2008, 6, 1)
        )
    # the tree's five, the counted series in one, sample data in one; committees, regions and
    # meetings in three; the commitments' due dates in one
    assert count() == small == 11
