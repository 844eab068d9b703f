"""Numbers round-trip on every supported database; reads never die on a stored row.

Issue 10, item 1: on SQLite a target of 99999999999999.98 (20 digits, 6 places, accepted by the
old field) could not be read back, and every page showing it answered 500.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from limpia.core.fields import SIGNIFICANT_DIGITS, significant_digits
from limpia.plans.models import Measurement, Target

TARGETS = "/api/v1/targets/"

# What a 20-digit, 6-place column holds: up to 14 whole digits and 6 places.
LARGEST = Decimal("99999999999999.999999")
in_column = st.decimals(min_value=-LARGEST, max_value=LARGEST, places=6, allow_nan=False)
portable = in_column.filter(lambda value: significant_digits(value) <= SIGNIFICANT_DIGITS)
too_precise = in_column.filter(lambda value: significant_digits(value) > SIGNIFICANT_DIGITS)
per_example = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)


def _target(plan) -> Target:
    return Target.objects.get(indicator__plan=plan, indicator__code="I1")


@per_example
@given(value=portable)
@example(value=Decimal("99999999999999.9"))
@example(value=Decimal("-99999999999999.9"))
@example(value=Decimal("999999999.999999"))
@example(value=Decimal("0.000001"))
@example(value=Decimal("12345678901234.5"))
def test_it_reads_back_every_accepted_value_exactly(plan, ana, api, value):
    target = _target(plan)
    client = api(ana)

    written = client.patch(
        f"{TARGETS}{target.pk}/", {"value": str(value), "version": target.version}, format="json"
    )
    read = client.get(f"{TARGETS}{target.pk}/")

    assert written.status_code == 200, written.json()
    assert json.loads(read.content, parse_float=Decimal)["value"] == value
    target.refresh_from_db()
    assert target.value == value


@per_example
@given(value=too_precise)
@example(value=Decimal("99999999999999.98"))
@example(value=Decimal("99999999999999.999999"))
@example(value=Decimal("1234567890.123456"))
def test_it_refuses_a_value_with_more_digits_than_every_database_keeps(plan, ana, api, value):
    target = _target(plan)
    before = target.value

    response = api(ana).patch(
        f"{TARGETS}{target.pk}/", {"value": str(value), "version": target.version}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "value"
    assert " 15 " in response.json()["detail"]  # "at most 15 significant digits", translated
    target.refresh_from_db()
    assert target.value == before


def test_it_refuses_a_reporters_draft_with_too_many_digits(plan, rita, api):
    indicator = _target(plan).indicator

    response = api(rita).post(
        "/api/v1/measurements/",
        {"indicator": indicator.pk, "date": "2023-06-30", "value": "99999999999999.98"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "value"
    assert not Measurement.objects.filter(indicator=indicator).exists()


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_it_reads_a_row_stored_before_the_rule_on_sqlite(plan, ana, api, client):
    target = _target(plan)
    with connection.cursor() as cursor:  # what the old field let through
        cursor.execute(
            "UPDATE plans_target SET value = 99999999999999.98 WHERE id = %s", [target.pk]
        )
        cursor.execute(
            "UPDATE plans_historicaltarget SET value = 99999999999999.98 WHERE id = %s",
            [target.pk],
        )

    target.refresh_from_db()
    pages = [
        client.get("/"),
        client.get(f"/plans/{plan.slug}/"),
        api().get(f"/api/v1/plans/{plan.slug}/tree/"),
        api(ana).get(f"{TARGETS}{target.pk}/"),
        api(ana).get(TARGETS),
    ]

    assert target.value == Decimal("99999999999999.980000")
    assert [page.status_code for page in pages] == [200] * len(pages)
    assert target.history.values_list("value", flat=True).first() == target.value
    fixed = api(ana).patch(
        f"{TARGETS}{target.pk}/", {"value": "100", "version": target.version}, format="json"
    )
    assert fixed.status_code == 200


def test_it_counts_significant_digits_as_people_do():
    assert significant_digits(Decimal("120.50")) == 4
    assert significant_digits(Decimal("0.0012")) == 2
    assert significant_digits(Decimal("100.000000")) == 1
    assert significant_digits(Decimal("0")) == 0
    assert significant_digits(Decimal("99999999999999.98")) == 16


def test_it_keeps_a_target_due_date_when_the_value_is_refused(plan, ana, api):
    target = _target(plan)

    api(ana).patch(
        f"{TARGETS}{target.pk}/",
        {"value": "1234567890123456", "due_date": "2025-12-31", "version": target.version},
        format="json",
    )

    target.refresh_from_db()
    assert target.due_date == dt.date(2024, 12, 31)
