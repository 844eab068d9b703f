"""The network's back office through its pages: sonia (the council's secretariat) records
meetings, memberships and decisions; marco (Panamá's government) reports on a commitment and
sonia reviews it; carlos has nothing to do here."""
# ruff: noqa: F811

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from limpia.core.models import Organization
from limpia.network.models import Commitment, CommitmentUpdate, Meeting, Membership
from limpia.network.queries import meeting_commitment_states
from limpia.network.tests.conftest import marco, network, sonia  # noqa: F401

COMMITTEE = "comite-directivo-consejo-cps-alc"
COUNCIL = "consejo-expertos-cps-alc"


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _meeting(**fields) -> dict:
    return {"kind": "ordinary", "status": "held", "agenda": "", **fields}


def test_nobody_else_works_here(network, carlos):
    assert Client().get(reverse("network_work:home")).status_code == 302
    client = _as(carlos)
    assert client.get(reverse("network_work:home")).status_code == 403
    assert client.get(reverse("network_work:body", args=[COUNCIL])).status_code == 403
    assert client.get(reverse("network_work:meeting_new", args=[COUNCIL])).status_code == 403


def test_a_recorded_committee_meeting_meets_the_yearly_commitment(network, sonia):
    client = _as(sonia)
    assert client.get(reverse("network_work:meeting_new", args=[COMMITTEE])).status_code == 200
    response = client.post(
        reverse("network_work:meeting_new", args=[COMMITTEE]),
        _meeting(
            name="Videoconferencia del Comité Directivo",
            kind="virtual",
            starts_on="2008-05-10",
            agenda="2008-05-10 | 10:00-11:00 | Elección del Presidente",
            count_government=4,
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get(name="Videoconferencia del Comité Directivo")
    assert meeting.history.first().history_user == sonia
    assert list(meeting.agenda.values_list("title", flat=True)) == ["Elección del Presidente"]
    assert meeting.participation.get().count == 4
    yearly = Commitment.objects.get(title__startswith="Reunir al Comité Directivo")
    state = meeting_commitment_states([yearly], dt.date(2009, 1, 15))[yearly.pk]
    assert [p.state for p in state.recurring.periods] == ["met", "in_course"]


def test_a_meeting_before_the_founding_is_refused_on_its_date(network, sonia):
    response = _as(sonia).post(
        reverse("network_work:meeting_new", args=[COUNCIL]),
        _meeting(name="Reunión imposible", starts_on="2004-05-01"),
    )
    assert response.status_code == 200
    assert "2004" in response.context["form"].errors["starts_on"][0]
    assert not Meeting.objects.filter(name="Reunión imposible").exists()


def test_membership_refusals_name_the_field(network, sonia):
    url = reverse("network_work:membership_new", args=[COMMITTEE])
    client = _as(sonia)
    ecuador = Organization.objects.get(key="gobierno-ec").pk
    backwards = client.post(
        url,
        {
            "organization": ecuador,
            "role": "member",
            "term_from": "2009-01-01",
            "term_to": "2008-01-01",
        },
    )
    assert "term_to" in backwards.context["form"].errors
    second = client.post(
        url,
        {
            "organization": Organization.objects.get(key="gobierno-ni").pk,
            "role": "titular",
            "seat": "Subregión Mesoamérica",
            "term_from": "2008-03-01",
        },
    )
    assert "Gobierno de Panamá" in second.context["form"].errors["role"][0]
    before = Membership.objects.count()
    ok = client.post(url, {"organization": ecuador, "role": "observer", "term_from": "2008-03-01"})
    assert ok.status_code == 302
    assert Membership.objects.count() == before + 1


def test_a_reported_update_is_approved_or_returned_by_the_secretariat(network, sonia, marco):
    commitment = Commitment.objects.get(title="Elegir el Presidente del Comité Directivo.")
    panama = Organization.objects.get(key="gobierno-pa").pk
    reporter = _as(marco)
    url = reverse("network_work:update_new", args=[commitment.pk])
    assert reporter.get(url).status_code == 200
    response = reporter.post(
        url,
        {
            "organization": panama,
            "date": "2008-03-01",
            "reported_status": "done",
            "text": "Se eligió a Panamá.",
            "action": "submit",
        },
    )
    assert response.status_code == 302
    update = CommitmentUpdate.objects.get(commitment=commitment)
    assert update.status == "submitted"
    approve = reverse("network_work:update_approve", args=[update.pk])
    assert reporter.post(approve).status_code == 403
    assert _as(sonia).post(approve).status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.done_on) == ("done", dt.date(2008, 3, 1))

    reporter.post(
        url,
        {
            "organization": panama,
            "date": "2008-04-01",
            "reported_status": "in_progress",
            "text": "Avance",
            "action": "submit",
        },
    )
    second = CommitmentUpdate.objects.exclude(pk=update.pk).get()
    returned = _as(sonia).post(
        reverse("network_work:update_return", args=[second.pk]), {"comment": "¿Qué avance?"}
    )
    assert returned.status_code == 302
    second.refresh_from_db()
    assert (second.status, second.review_comment) == ("returned", "¿Qué avance?")
    edit = reverse("network_work:update_edit", args=[second.pk])
    again = reporter.post(
        edit,
        {
            "organization": panama,
            "date": "2008-04-01",
            "reported_status": "in_progress",
            "text": "Se convocó la elección.",
            "action": "submit",
            "version": second.version,
        },
    )
    assert again.status_code == 302
    second.refresh_from_db()
    assert (second.status, second.text) == ("submitted", "Se convocó la elección.")


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["home", "body"])
def test_the_work_pages_run_a_fixed_number_of_queries(network, sonia, page):
    client = _as(sonia)
    url = reverse(f"network_work:{page}", args=[] if page == "home" else [COUNCIL])
    council = network[COUNCIL]

    def add(n):
        Meeting.objects.create(
            body=council,
            name=f"Sesión {n}",
            starts_on=dt.date(2010, 2, 1 + n),
            ends_on=dt.date(2010, 2, 1 + n),
        )
        commitment = Commitment.objects.create(
            body=council, title=f"Compromiso {n}", rule="reported", due_on=dt.date(2009, 1, 1)
        )
        CommitmentUpdate.objects.create(
            commitment=commitment,
            date=dt.date(2009, 2, 1),
            reported_status="done",
            text="x",
            status="submitted",
        )

    add(0)  # one of each, then nine
    before = _count(client, url)
    for n in range(1, 9):
        add(n)
    assert _count(client, url) == before
