"""Facilities adhere inside the window (or by the coordinator's exception), withdraw with a
reason, report per applicable action, and the coordinator sees who is late."""

import datetime as dt
import re

import pytest

from limpia.agreements import queues, services
from limpia.agreements.models import Adhesion, FollowUpItem
from limpia.agreements.tests.helpers import action, adhere, freeze_today
from limpia.core.errors import DomainError, IllegalTransition, NotAllowed

WINDOW_END = dt.date(2024, 4, 14)


@pytest.fixture(autouse=True)
def in_english(settings):
    """Messages are asserted in English, whatever the site's default language."""
    settings.LANGUAGE_CODE = "en"


def adhere_as(user, agreement, facility, on, reason=""):
    return services.facility_adhere(
        acting_user=user,
        agreement=agreement,
        facility=facility,
        adhered_on=on,
        exception_reason=reason,
    )


def test_it_lets_a_representative_adhere_their_own_facility_inside_the_window(
    apl, facilities, pedro
):
    adhesion = adhere_as(pedro, apl, facilities["A1"], WINDOW_END)
    assert adhesion.adhered_on == WINDOW_END
    assert adhesion.exception_reason == ""
    assert adhesion.recorded_by == pedro
    assert adhesion.is_active


def test_it_lets_a_representative_adhere_through_the_api(api, apl, facilities, pedro):
    response = api(pedro).post(
        "/api/v1/adhesions/",
        {"agreement": apl.slug, "facility": "A2", "adhered_on": "2024-01-15"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["facility"] == "A2"
    assert Adhesion.objects.get(facility=facilities["A2"]).recorded_by == pedro


def test_it_refuses_a_representative_adhering_another_companys_facility(
    api, apl, facilities, pedro
):
    with pytest.raises(NotAllowed):
        adhere_as(pedro, apl, facilities["B1"], dt.date(2024, 2, 1))
    response = api(pedro).post(
        "/api/v1/adhesions/",
        {"agreement": apl.slug, "facility": "B1", "adhered_on": "2024-02-01"},
        format="json",
    )
    assert response.status_code == 403
    assert not Adhesion.objects.exists()


def test_it_lets_the_coordinator_adhere_any_facility(apl, facilities, cora):
    for facility in facilities.values():
        adhere_as(cora, apl, facility, dt.date(2024, 3, 1))
    assert Adhesion.objects.filter(agreement=apl).count() == 3


@pytest.mark.parametrize("day", [dt.date(2024, 1, 14), dt.date(2024, 4, 15)])
def test_it_refuses_an_adhesion_outside_the_window(apl, facilities, pedro, day):
    with pytest.raises(DomainError, match="outside the adhesion window") as refused:
        adhere_as(pedro, apl, facilities["A1"], day)
    assert refused.value.field == "adhered_on"
    assert "2024-04-14" in refused.value.message


def test_it_names_adhered_on_when_refusing_through_the_api(api, apl, facilities, pedro):
    response = api(pedro).post(
        "/api/v1/adhesions/",
        {"agreement": apl.slug, "facility": "A1", "adhered_on": "2024-06-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "adhered_on"
    assert not Adhesion.objects.exists()


def test_it_lets_the_coordinator_record_an_exception_with_a_reason(api, apl, facilities, cora):
    response = api(cora).post(
        "/api/v1/adhesions/",
        {
            "agreement": apl.slug,
            "facility": "B1",
            "adhered_on": "2024-06-01",
            "exception_reason": "Planta adquirida después del cierre de la ventana",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    adhesion = Adhesion.objects.get(facility=facilities["B1"])
    assert adhesion.exception_reason == "Planta adquirida después del cierre de la ventana"


def test_it_refuses_a_representatives_exception(api, apl, facilities, pedro):
    with pytest.raises(NotAllowed):
        adhere_as(pedro, apl, facilities["A1"], dt.date(2024, 6, 1), reason="Llegamos tarde")
    response = api(pedro).post(
        "/api/v1/adhesions/",
        {
            "agreement": apl.slug,
            "facility": "A1",
            "adhered_on": "2024-06-01",
            "exception_reason": "Llegamos tarde",
        },
        format="json",
    )
    assert response.status_code == 403
    assert not Adhesion.objects.exists()


def test_it_refuses_a_duplicate_adhesion(api, apl, facilities, pedro, cora):
    adhere_as(pedro, apl, facilities["A1"], dt.date(2024, 2, 1))
    with pytest.raises(DomainError, match="already adhered") as refused:
        adhere_as(cora, apl, facilities["A1"], dt.date(2024, 3, 1))
    assert refused.value.field == "facility"
    response = api(cora).post(
        "/api/v1/adhesions/",
        {"agreement": apl.slug, "facility": "A1", "adhered_on": "2024-03-01"},
        format="json",
    )
    assert response.status_code == 400
    assert Adhesion.objects.count() == 1


def test_it_refuses_adhesion_to_an_agreement_not_yet_signed(apl, facilities, cora):
    apl.stage = "negotiation"
    apl.save()
    with pytest.raises(IllegalTransition):
        adhere_as(cora, apl, facilities["A1"], dt.date(2024, 2, 1))


def test_it_keeps_a_withdrawal_dated_with_its_reason(api, apl, facilities, pedro):
    (adhesion,) = adhere(apl, facilities["A1"])
    url = f"/api/v1/adhesions/{adhesion.pk}/withdraw/"
    response = api(pedro).post(url, {"on": "2024-09-30"}, format="json")
    assert response.status_code == 400
    response = api(pedro).post(
        url, {"on": "2024-09-30", "reason": "Cierre de la planta"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["withdrawn_on"] == "2024-09-30"
    adhesion.refresh_from_db()
    assert (adhesion.withdrawn_on, adhesion.withdrawal_reason, adhesion.is_active) == (
        dt.date(2024, 9, 30),
        "Cierre de la planta",
        False,
    )
    assert Adhesion.objects.filter(pk=adhesion.pk).exists()  # kept, not deleted
    listed = api(pedro).get(f"/api/v1/adhesions/?agreement__slug={apl.slug}").json()["results"]
    assert [a["withdrawal_reason"] for a in listed] == ["Cierre de la planta"]


def test_it_refuses_a_withdrawal_without_reason_before_adhering_or_twice(apl, facilities, pedro):
    (adhesion,) = adhere(apl, facilities["A1"])
    with pytest.raises(DomainError) as refused:
        services.adhesion_withdraw(
            acting_user=pedro, adhesion=adhesion, on=dt.date(2024, 9, 30), reason=""
        )
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        services.adhesion_withdraw(
            acting_user=pedro, adhesion=adhesion, on=dt.date(2024, 1, 20), reason="Cierre"
        )
    assert refused.value.field == "on"
    services.adhesion_withdraw(
        acting_user=pedro, adhesion=adhesion, on=dt.date(2024, 9, 30), reason="Cierre"
    )
    with pytest.raises(IllegalTransition):
        services.adhesion_withdraw(
            acting_user=pedro, adhesion=adhesion, on=dt.date(2024, 10, 30), reason="Otra vez"
        )


def test_it_refuses_a_withdrawal_by_another_companys_representative(apl, facilities, pedro):
    (adhesion,) = adhere(apl, facilities["B1"])
    with pytest.raises(NotAllowed):
        services.adhesion_withdraw(
            acting_user=pedro, adhesion=adhesion, on=dt.date(2024, 9, 30), reason="Cierre"
        )


def report(user, adhesion, items, period_end=dt.date(2024, 12, 31)):
    return services.follow_up_submit(
        acting_user=user, adhesion=adhesion, kind="follow_up", period_end=period_end, items=items
    )


def test_it_takes_a_follow_up_report_on_the_applicable_actions(apl, facilities, pedro):
    (adhesion,) = adhere(apl, facilities["A1"])
    result = report(
        pedro,
        adhesion,
        [
            (action(apl, "1.1"), "done", "https://example.org/medidores.pdf", "Instalados"),
            (action(apl, "1.2"), "in_progress", "", ""),
            (action(apl, "2.1"), "not_started", "", ""),
        ],
    )
    assert result.submitted_by == pedro
    assert result.submitted_at is not None
    statuses = dict(result.items.values_list("action__code", "status"))
    assert statuses == {"1.1": "done", "1.2": "in_progress", "2.1": "not_started"}


@pytest.mark.parametrize("code", ["2.2", "2.3"])
def test_it_refuses_a_report_on_an_action_that_does_not_apply(apl, facilities, pedro, code):
    # 2.2 applies to large companies only; 2.3 is the business association's own action.
    (adhesion,) = adhere(apl, facilities["A1"])
    with pytest.raises(DomainError, match=re.escape(code)) as refused:
        report(pedro, adhesion, [(action(apl, code), "done", "", "")])
    assert refused.value.field == "items"
    assert not FollowUpItem.objects.exists()


def test_it_takes_the_large_company_only_action_from_a_large_company(apl, facilities, ana):
    (adhesion,) = adhere(apl, facilities["B1"])
    result = report(ana, adhesion, [(action(apl, "2.2"), "done", "", "")])
    assert result.items.get().action.code == "2.2"
    with pytest.raises(DomainError, match=re.escape("2.3")):
        report(ana, adhesion, [(action(apl, "2.3"), "done", "", "")])


def test_it_refuses_a_report_from_another_company(apl, facilities, pedro):
    (adhesion,) = adhere(apl, facilities["B1"])
    with pytest.raises(NotAllowed):
        report(pedro, adhesion, [(action(apl, "1.1"), "done", "", "")])


def test_it_refuses_a_report_from_a_withdrawn_facility(apl, facilities, pedro):
    (adhesion,) = adhere(apl, facilities["A1"])
    services.adhesion_withdraw(
        acting_user=pedro, adhesion=adhesion, on=dt.date(2024, 9, 30), reason="Cierre"
    )
    adhesion.refresh_from_db()
    with pytest.raises(IllegalTransition):
        report(pedro, adhesion, [(action(apl, "1.1"), "done", "", "")])


def test_it_lists_facilities_with_overdue_actions_not_done(apl, facilities, pedro, ana):
    # Deadlines: 1.1 on 2024-10-14, 2.1 on 2025-01-14, 1.2 on 2025-04-14; 2.2 and 2.3 have none.
    a1, a2, b1 = adhere(apl, facilities["A1"], facilities["A2"], facilities["B1"])
    report(pedro, a1, [(action(apl, "1.1"), "done", "", ""), (action(apl, "2.1"), "done", "", "")])
    report(pedro, a2, [(action(apl, "1.1"), "in_progress", "", "")])
    report(
        ana,
        b1,
        [(action(apl, "1.1"), "not_applicable", "", ""), (action(apl, "2.1"), "done", "", "")],
    )
    late = queues.late_facilities(apl, today=dt.date(2025, 2, 1))
    assert [(r["facility"].code, r["overdue_actions"]) for r in late] == [("A2", ["1.1", "2.1"])]
    assert late[0]["last_report"] == dt.date(2024, 12, 31)

    late = queues.late_facilities(apl, today=dt.date(2025, 5, 1))
    assert [(r["facility"].code, r["overdue_actions"]) for r in late] == [
        ("A1", ["1.2"]),
        ("A2", ["1.1", "1.2", "2.1"]),
        ("B1", ["1.2"]),
    ]
    assert queues.late_facilities(apl, today=dt.date(2024, 10, 14)) == []


def test_it_does_not_list_withdrawn_facilities_as_late(apl, facilities, pedro):
    (adhesion,) = adhere(apl, facilities["A1"])
    services.adhesion_withdraw(
        acting_user=pedro, adhesion=adhesion, on=dt.date(2024, 9, 30), reason="Cierre"
    )
    assert queues.late_facilities(apl, today=dt.date(2025, 5, 1)) == []


def test_it_shows_who_is_late_to_the_coordinator(api, apl, facilities, cora, monkeypatch):
    freeze_today(monkeypatch, dt.date(2024, 11, 1))
    adhere(apl, facilities["A1"], facilities["B1"])
    response = api(cora).get(f"/api/v1/agreements/{apl.slug}/late/")
    assert response.status_code == 200
    assert response.json() == [
        {"facility_code": "A1", "overdue_actions": ["1.1"], "last_report": None},
        {"facility_code": "B1", "overdue_actions": ["1.1"], "last_report": None},
    ]


def test_it_refuses_the_late_list_to_others_with_403(api, apl, facilities, pedro):
    adhere(apl, facilities["A1"])
    response = api(pedro).get(f"/api/v1/agreements/{apl.slug}/late/")
    assert response.json()["code"] == "permission_denied"
    assert response.status_code == 403
