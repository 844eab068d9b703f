"""The network's services: bad input refused with the field and the value named and nothing
written, permissions, history, and the review of commitment updates."""

import datetime as dt

import pytest

from limpia.core.errors import DomainError, IllegalTransition, NotAllowed
from limpia.core.models import Organization
from limpia.network import services
from limpia.network.models import (
    Body,
    Commitment,
    CommitmentUpdate,
    Decision,
    FocalPoint,
    Meeting,
    Membership,
)
from limpia.network.queries import meeting_commitment_states


def _refused(call, field):
    with pytest.raises(DomainError) as refused:
        call()
    assert refused.value.field == field, refused.value.message
    return refused.value.message


def test_a_term_that_ends_before_it_starts_is_refused(network, sonia):
    membership = Membership(
        body=network["comite-directivo-consejo-cps-alc"],
        organization=Organization.objects.get(key="gobierno-ec"),
        role="member",
        term_from=dt.date(2009, 1, 1),
        term_to=dt.date(2008, 1, 1),
    )
    before = Membership.objects.count()
    message = _refused(
        lambda: services.membership_save(acting_user=sonia, membership=membership), "term_to"
    )
    assert "1/1/2008" in message or "01/01/2008" in message or "2008" in message
    assert Membership.objects.count() == before


def test_a_second_titular_for_the_same_seat_and_term_is_refused(network, sonia):
    second = Membership(
        body=network["comite-directivo-consejo-cps-alc"],
        organization=Organization.objects.get(key="gobierno-ni"),
        role="titular",
        seat="Subregión Mesoamérica",
        term_from=dt.date(2008, 3, 1),
    )
    message = _refused(
        lambda: services.membership_save(acting_user=sonia, membership=second), "role"
    )
    assert "Gobierno de Panamá" in message and "Subregión Mesoamérica" in message
    # the same seat after Panamá's term ends is fine
    panama = Membership.objects.get(organization__key="gobierno-pa", role="titular")
    services.membership_end(acting_user=sonia, membership=panama, on=dt.date(2009, 10, 1))
    second.term_from = dt.date(2009, 10, 2)
    services.membership_save(acting_user=sonia, membership=second)
    assert panama.history.first().history_user == sonia


def test_a_meeting_before_the_body_was_founded_is_refused(network, sonia):
    council = network["consejo-expertos-cps-alc"]
    meeting = Meeting(
        body=council,
        name="Reunión anterior",
        starts_on=dt.date(2004, 5, 1),
        ends_on=dt.date(2004, 5, 2),
    )
    message = _refused(
        lambda: services.meeting_save(acting_user=sonia, meeting=meeting), "starts_on"
    )
    assert "2005" in message
    assert not Meeting.objects.filter(name="Reunión anterior").exists()


def test_a_meeting_in_the_future_cannot_be_held_yet(network, sonia):
    day = dt.date.today() + dt.timedelta(days=30)
    meeting = Meeting(
        body=network["comite-directivo-consejo-cps-alc"],
        name="Próxima",
        starts_on=day,
        ends_on=day,
        status="held",
    )
    _refused(lambda: services.meeting_save(acting_user=sonia, meeting=meeting), "status")
    meeting.status = "scheduled"
    services.meeting_save(acting_user=sonia, meeting=meeting)


def test_a_meeting_with_a_bad_agenda_line_writes_nothing(network, sonia):
    meeting = Meeting(
        body=network["comite-directivo-consejo-cps-alc"],
        name="Videoconferencia",
        kind="virtual",
        starts_on=dt.date(2008, 5, 10),
        ends_on=dt.date(2008, 5, 10),
    )
    message = _refused(
        lambda: services.meeting_save(
            acting_user=sonia,
            meeting=meeting,
            agenda=[{"title": "Apertura"}, {"title": " "}],
        ),
        "agenda",
    )
    assert "2" in message
    assert not Meeting.objects.filter(name="Videoconferencia").exists()


def test_a_commitment_due_before_its_decision_is_refused(network, sonia):
    decision = Decision.objects.get(number="60 g")
    commitment = Commitment(
        body=network["consejo-expertos-cps-alc"],
        decision=decision,
        title="Algo",
        rule="reported",
        due_on=dt.date(2007, 1, 1),
    )
    _refused(lambda: services.commitment_save(acting_user=sonia, commitment=commitment), "due_on")
    assert not Commitment.objects.filter(title="Algo").exists()


def test_an_unknown_country_is_refused(network, ana):
    body = Body(
        key="comite-x", name="Comité X", kind="round_table", scope="country", country_id="XX"
    )
    _refused(lambda: services.body_save(acting_user=ana, body=body), "country")


def test_a_country_body_needs_its_country(network, ana):
    body = Body(key="mesa-y", name="Mesa Y", kind="round_table", scope="country")
    _refused(lambda: services.body_save(acting_user=ana, body=body), "country")


def test_a_focal_point_keeps_a_name_only_with_consent(network, sonia):
    council = network["consejo-expertos-cps-alc"]
    point = FocalPoint.objects.get(body=council, country_id="PA")
    point.person_name = "Nombre"
    _refused(
        lambda: services.focal_point_save(
            acting_user=sonia, focal_point=point, version=point.version
        ),
        "consent_on",
    )
    point.consent_on = dt.date(2026, 1, 5)
    services.focal_point_save(acting_user=sonia, focal_point=point, version=point.version)
    second = FocalPoint(
        body=council, country_id="PA", organization=point.organization, position="Otro"
    )
    _refused(lambda: services.focal_point_save(acting_user=sonia, focal_point=second), "country")


def test_only_the_secretariat_or_an_administrator_writes(network, carlos, marco, sonia):
    body = network["comite-directivo-consejo-cps-alc"]
    meeting = Meeting(
        body=body, name="Sesión", starts_on=dt.date(2008, 5, 10), ends_on=dt.date(2008, 5, 10)
    )
    for user in (carlos, marco):
        with pytest.raises(NotAllowed):
            services.meeting_save(acting_user=user, meeting=meeting)
    chile = network["consejo-nacional-produccion-limpia"]
    foreign = Meeting(
        body=chile, name="Sesión", starts_on=dt.date(2008, 5, 10), ends_on=dt.date(2008, 5, 10)
    )
    with pytest.raises(NotAllowed):  # sonia runs the LAC council, not Chile's
        services.meeting_save(acting_user=sonia, meeting=foreign)
    services.meeting_save(acting_user=sonia, meeting=meeting)
    assert meeting.history.first().history_user == sonia


def test_a_secretariat_founds_bodies_only_under_one_it_runs(network, sonia, ana):
    council = network["consejo-expertos-cps-alc"]
    chile = network["consejo-nacional-produccion-limpia"]

    def group(key, parent):
        return Body(key=key, name=key, kind="working_group", scope="region", parent=parent)

    for parent in (None, chile):  # a new top-level body, or one under Chile's council
        with pytest.raises(NotAllowed):
            services.body_save(acting_user=sonia, body=group("grupo-x", parent))
    assert not Body.objects.filter(key="grupo-x").exists()
    services.body_save(acting_user=sonia, body=group("grupo-pymes", council))
    services.body_save(acting_user=ana, body=group("red-nueva", None))  # an administrator
    assert set(
        Body.objects.filter(key__in=["grupo-pymes", "red-nueva"]).values_list(
            "parent__key", flat=True
        )
    ) == {council.key, None}


def test_a_committee_meeting_meets_the_yearly_commitment(network, sonia):
    yearly = Commitment.objects.get(title__startswith="Reunir al Comité Directivo")
    missed = meeting_commitment_states([yearly], dt.date(2009, 1, 15))[yearly.pk]
    assert missed.state == "missed"
    day = dt.date(2008, 5, 10)
    services.meeting_save(
        acting_user=sonia,
        meeting=Meeting(
            body=network["comite-directivo-consejo-cps-alc"],
            name="Videoconferencia del Comité Directivo",
            kind="virtual",
            starts_on=day,
            ends_on=day,
        ),
    )
    met = meeting_commitment_states([yearly], dt.date(2009, 1, 15))[yearly.pk]
    assert met.state == "on_track"
    assert [p.state for p in met.recurring.periods] == ["met", "in_course"]


def _reported(network, organization="gobierno-pa"):
    commitment = Commitment.objects.get(title__startswith="Elegir el Presidente")
    commitment.responsible_organizations.add(Organization.objects.get(key=organization))
    return commitment


def test_an_approved_update_sets_the_commitment(network, sonia, marco):
    commitment = _reported(network)
    update = services.update_save(
        acting_user=marco,
        update=CommitmentUpdate(
            commitment=commitment,
            date=dt.date(2008, 3, 1),
            reported_status="done",
            text="Se eligió a Panamá como presidente.",
        ),
    )
    services.update_submit(acting_user=marco, update=update)
    with pytest.raises(NotAllowed):
        services.update_approve(acting_user=marco, update=update)
    services.update_approve(acting_user=sonia, update=update)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.done_on) == ("done", dt.date(2008, 3, 1))
    assert commitment.history.first().history_user == sonia
    with pytest.raises(IllegalTransition):
        services.update_approve(acting_user=sonia, update=update)


def test_a_returned_update_is_corrected_and_submitted_again(network, sonia, marco):
    commitment = _reported(network)
    update = services.update_save(
        acting_user=marco,
        update=CommitmentUpdate(
            commitment=commitment, date=dt.date(2008, 3, 1), reported_status="done", text="Hecho"
        ),
    )
    services.update_submit(acting_user=marco, update=update)
    _refused(
        lambda: services.update_return(acting_user=sonia, update=update, comment=" "), "comment"
    )
    services.update_return(acting_user=sonia, update=update, comment="¿Quién fue elegido?")
    update.refresh_from_db()
    update.text = "Se eligió a Panamá."
    services.update_save(acting_user=marco, update=update, version=update.version)
    services.update_submit(acting_user=marco, update=update)
    assert CommitmentUpdate.objects.get(pk=update.pk).status == "submitted"


def test_an_organization_not_responsible_cannot_report(network, marco):
    commitment = Commitment.objects.get(title__startswith="Elegir el Presidente")
    commitment.responsible_body = None
    commitment.save()
    with pytest.raises(NotAllowed):
        services.update_save(
            acting_user=marco,
            update=CommitmentUpdate(
                commitment=commitment, date=dt.date(2008, 3, 1), reported_status="done", text="x"
            ),
        )


def test_a_member_of_the_responsible_body_may_report(network, marco):
    # the steering committee is responsible; Panamá is its current titular
    commitment = Commitment.objects.get(title__startswith="Elegir el Presidente")
    services.update_save(
        acting_user=marco,
        update=CommitmentUpdate(
            commitment=commitment, date=dt.date(2008, 3, 1), reported_status="in_progress", text="x"
        ),
    )


def test_a_commitment_met_by_meetings_takes_no_update(network, sonia):
    yearly = Commitment.objects.get(title__startswith="Reunir al Comité Directivo")
    _refused(
        lambda: services.update_save(
            acting_user=sonia,
            update=CommitmentUpdate(
                commitment=yearly, date=dt.date(2008, 3, 1), reported_status="done", text="x"
            ),
        ),
        "commitment",
    )
