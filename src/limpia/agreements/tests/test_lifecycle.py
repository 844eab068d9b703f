"""The agreement's stages: every legal move in order, illegal jumps, cancellation, signing,
the adhesion window, extensions, the record of each move and who may move."""

import datetime as dt
from itertools import pairwise

import pytest

from limpia.agreements import services
from limpia.agreements.lifecycle import ORDER
from limpia.agreements.models import Agreement, Extension, StageChange
from limpia.core.errors import DomainError, IllegalTransition, NotAllowed

SIGNING = dt.date(2024, 3, 1)  # adhesion window to 2024-05-30
AFTER_WINDOW = dt.date(2024, 6, 1)


@pytest.fixture(autouse=True)
def in_english(settings):
    """Messages are asserted in English, whatever the site's default language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def interest(cora):
    agreement = Agreement.objects.create(
        slug="apl-vitivinicola",
        code="APL-VIN-02",
        name="APL Vitivinícola",
        country_id="CL",
    )
    cora.role_assignments.create(role="coordinator", agreement=agreement)
    return agreement


def move(user, agreement, to_stage, **extra):
    return services.agreement_change_stage(
        acting_user=user, agreement=agreement, to_stage=to_stage, **extra
    )


def test_it_starts_new_agreements_in_the_interest_stage(interest):
    assert interest.stage == "interest"


def test_it_walks_every_stage_in_order_from_interest_to_closed(interest, cora):
    for to_stage in ORDER[1:]:
        extra = {"signing_date": SIGNING} if to_stage == "signed" else {}
        agreement = move(cora, interest, to_stage, today=AFTER_WINDOW, **extra)
        assert agreement.stage == to_stage
    interest.refresh_from_db()
    assert interest.stage == "closed"
    assert interest.signing_date == SIGNING
    changes = list(interest.stage_changes.values_list("from_stage", "to_stage"))
    assert changes == list(pairwise(ORDER))


def test_it_walks_the_stages_through_the_api(api, interest, cora):
    client = api(cora)
    url = f"/api/v1/agreements/{interest.slug}/stage/"
    for to_stage in ORDER[1:]:
        body = {"to_stage": to_stage, "comment": f"pasa a {to_stage}"}
        if to_stage == "signed":
            body["signing_date"] = SIGNING.isoformat()
        response = client.post(url, body, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["stage"] == to_stage
    timeline = response.json()["stage_changes"]
    assert [c["to_stage"] for c in timeline] == list(ORDER[1:])
    assert all(c["changed_by"] == "cora" for c in timeline)
    assert timeline[0]["comment"] == "pasa a admissibility"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("interest", "diagnosis"),
        ("interest", "signed"),
        ("negotiation", "implementation"),
        ("adhesion", "signed"),
        ("implementation", "closed"),
        ("certification", "final_evaluation"),
    ],
)
def test_it_refuses_illegal_jumps(interest, cora, start, target):
    Agreement.objects.filter(pk=interest.pk).update(stage=start, signing_date=SIGNING)
    with pytest.raises(IllegalTransition, match="cannot move"):
        move(cora, interest, target, signing_date=SIGNING, today=AFTER_WINDOW)
    interest.refresh_from_db()
    assert interest.stage == start
    assert not StageChange.objects.filter(agreement=interest).exists()


def test_it_answers_409_to_an_illegal_jump_through_the_api(api, interest, cora):
    response = api(cora).post(
        f"/api/v1/agreements/{interest.slug}/stage/", {"to_stage": "closed"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert "Closed" in response.json()["detail"]
    interest.refresh_from_db()
    assert interest.stage == "interest"


@pytest.mark.parametrize("start", [s for s in ORDER if s != "closed"])
def test_it_cancels_from_any_stage_before_closed_with_a_comment(interest, cora, start):
    Agreement.objects.filter(pk=interest.pk).update(stage=start)
    with pytest.raises(DomainError, match="why") as refused:
        move(cora, interest, "cancelled", comment="  ")
    assert refused.value.field == "comment"
    move(cora, interest, "cancelled", comment="El gremio se retiró")
    interest.refresh_from_db()
    assert interest.stage == "cancelled"
    change = interest.stage_changes.get()
    assert (change.from_stage, change.comment) == (start, "El gremio se retiró")


def test_it_asks_for_the_cancellation_reason_through_the_api(api, interest, cora):
    url = f"/api/v1/agreements/{interest.slug}/stage/"
    response = api(cora).post(url, {"to_stage": "cancelled"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "comment"
    response = api(cora).post(
        url, {"to_stage": "cancelled", "comment": "Sin financiamiento"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "cancelled"


@pytest.mark.parametrize("end", ["closed", "cancelled"])
@pytest.mark.parametrize("target", [*ORDER, "cancelled"])
def test_it_moves_closed_and_cancelled_agreements_nowhere(interest, cora, end, target):
    Agreement.objects.filter(pk=interest.pk).update(stage=end, signing_date=SIGNING)
    with pytest.raises(IllegalTransition):
        move(cora, interest, target, comment="otra vez", signing_date=SIGNING, today=AFTER_WINDOW)
    interest.refresh_from_db()
    assert interest.stage == end


def test_it_needs_the_signing_date_to_sign(interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(stage="negotiation")
    with pytest.raises(DomainError) as refused:
        move(cora, interest, "signed")
    assert refused.value.field == "signing_date"
    interest.refresh_from_db()
    assert (interest.stage, interest.signing_date) == ("negotiation", None)


def test_it_refuses_a_signing_date_in_the_future(interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(stage="negotiation")
    with pytest.raises(DomainError, match="future") as refused:
        move(cora, interest, "signed", signing_date=dt.date(2024, 3, 2), today=SIGNING)
    assert refused.value.field == "signing_date"


def test_it_names_the_missing_signing_date_through_the_api(api, interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(stage="negotiation")
    response = api(cora).post(
        f"/api/v1/agreements/{interest.slug}/stage/", {"to_stage": "signed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "signing_date"


def test_it_refuses_implementation_before_the_adhesion_window_ends(interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(stage="adhesion", signing_date=SIGNING)
    last_day_of_window = SIGNING + dt.timedelta(days=89)
    with pytest.raises(IllegalTransition, match="2024-05-30"):
        move(cora, interest, "implementation", today=last_day_of_window)
    interest.refresh_from_db()
    assert interest.stage == "adhesion"
    agreement = move(cora, interest, "implementation", today=dt.date(2024, 5, 31))
    assert agreement.stage == "implementation"


def test_it_counts_a_configured_adhesion_window(interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(
        stage="adhesion", signing_date=SIGNING, adhesion_days=30
    )
    interest.refresh_from_db()
    assert interest.adhesion_end == dt.date(2024, 3, 31)
    with pytest.raises(IllegalTransition, match="2024-03-31"):
        move(cora, interest, "implementation", today=dt.date(2024, 3, 30))
    assert move(cora, interest, "implementation", today=dt.date(2024, 4, 1)).stage == (
        "implementation"
    )


def test_it_computes_the_implementation_end_from_the_adhesion_window(interest):
    interest.signing_date = SIGNING
    assert interest.adhesion_end == dt.date(2024, 5, 30)
    assert interest.implementation_end == dt.date(2025, 11, 30)  # 18 months later


def test_it_extends_an_agreement_in_implementation(interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(stage="implementation", signing_date=SIGNING)
    agreement = services.agreement_extend(
        acting_user=cora,
        agreement=interest,
        new_end=dt.date(2026, 5, 31),
        reason="Retraso en la licitación de plantas de tratamiento",
    )
    assert agreement.implementation_end == dt.date(2026, 5, 31)
    extension = Extension.objects.get(agreement=interest)
    assert (extension.previous_end, extension.new_end) == (
        dt.date(2025, 11, 30),
        dt.date(2026, 5, 31),
    )
    assert extension.granted_by == cora
    assert extension.reason == "Retraso en la licitación de plantas de tratamiento"


def test_it_extends_only_in_implementation(interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(stage="adhesion", signing_date=SIGNING)
    with pytest.raises(IllegalTransition, match="implementation"):
        services.agreement_extend(
            acting_user=cora, agreement=interest, new_end=dt.date(2026, 5, 31), reason="Atraso"
        )
    assert not Extension.objects.exists()


def test_it_extends_only_with_a_reason_and_a_later_end(interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(stage="implementation", signing_date=SIGNING)
    with pytest.raises(DomainError) as refused:
        services.agreement_extend(
            acting_user=cora, agreement=interest, new_end=dt.date(2026, 5, 31), reason=" "
        )
    assert refused.value.field == "reason"
    with pytest.raises(DomainError, match="2025-11-30") as refused:
        services.agreement_extend(
            acting_user=cora, agreement=interest, new_end=dt.date(2025, 11, 30), reason="Atraso"
        )
    assert refused.value.field == "new_end"
    assert not Extension.objects.exists()


def test_it_extends_through_the_api(api, interest, cora):
    Agreement.objects.filter(pk=interest.pk).update(stage="implementation", signing_date=SIGNING)
    url = f"/api/v1/agreements/{interest.slug}/extend/"
    response = api(cora).post(url, {"new_end": "2025-10-01", "reason": "Atraso"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "new_end"
    response = api(cora).post(url, {"new_end": "2026-02-28", "reason": "Atraso"}, format="json")
    assert response.status_code == 200
    assert response.json()["implementation_end"] == "2026-02-28"


def test_it_records_who_moved_the_agreement_and_when(interest, cora):
    move(cora, interest, "admissibility", comment="Cumple requisitos")
    change = StageChange.objects.get(agreement=interest)
    assert change.changed_by == cora
    assert change.comment == "Cumple requisitos"
    assert change.changed_at is not None
    assert interest.history.first().history_user == cora


@pytest.mark.parametrize("who", ["pedro", "carlos"])
def test_it_lets_only_coordinators_and_admins_move_the_stage(
    api, apl, request, who, ana, cora, pedro, carlos
):
    user = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        move(user, apl, "adhesion")
    response = api(user).post(
        f"/api/v1/agreements/{apl.slug}/stage/", {"to_stage": "adhesion"}, format="json"
    )
    assert response.status_code == 403
    apl.refresh_from_db()
    assert apl.stage == "signed"
    response = api(ana).post(
        f"/api/v1/agreements/{apl.slug}/stage/", {"to_stage": "adhesion"}, format="json"
    )
    assert response.json()["stage"] == "adhesion"


def test_it_refuses_anonymous_stage_changes(api, apl):
    response = api().post(
        f"/api/v1/agreements/{apl.slug}/stage/", {"to_stage": "adhesion"}, format="json"
    )
    assert response.status_code in (401, 403)
    apl.refresh_from_db()
    assert apl.stage == "signed"
