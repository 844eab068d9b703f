"""The network's back office through its pages: sonia (the council's secretariat) records
meetings, memberships, decisions and commitments; marco (Panamá's government) reports on a
commitment and sonia reviews it; carlos has nothing to do here.

The pages render Spanish: the tests look at status codes, redirects, the database and the
values shown, never at translated labels."""
# ruff: noqa: F811  (the network conftest's fixtures are imported, then used as arguments)

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from limpia.core.models import Organization
from limpia.network.models import (
    AgendaItem,
    Body,
    Commitment,
    CommitmentUpdate,
    Decision,
    Meeting,
    Membership,
    Participation,
)
from limpia.network.queries import meeting_commitment_states
from limpia.network.tests.conftest import marco, network, sonia  # noqa: F401

COMMITTEE = "comite-directivo-consejo-cps-alc"
COUNCIL = "consejo-expertos-cps-alc"
IV_MEETING = "IV Reunión del Consejo Regional de Expertos de Gobierno en CPS"
PRESIDENT = "Elegir el Presidente del Comité Directivo."


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _meeting(**fields) -> dict:
    return {"kind": "ordinary", "status": "held", "agenda": "", **fields}


def _written() -> tuple[int, ...]:
    """How many rows the back office writes, to check a refusal wrote nothing."""
    return (
        Meeting.objects.count(),
        Meeting.history.count(),
        AgendaItem.objects.count(),
        Participation.objects.count(),
        Membership.objects.count(),
        Decision.objects.count(),
        Commitment.objects.count(),
        CommitmentUpdate.objects.count(),
    )


# ---------------------------------------------------------------- who may work here


def test_anonymous_is_sent_to_log_in(network):
    login = resolve_url(settings.LOGIN_URL)
    for url in (
        reverse("network_work:home"),
        reverse("network_work:body", args=[COUNCIL]),
        reverse("network_work:meeting_new", args=[COMMITTEE]),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith(login), response.url


def test_carlos_has_nothing_to_do_here(network, carlos):
    client = _as(carlos)
    assert client.get(reverse("network_work:home")).status_code == 403
    for key in (COUNCIL, COMMITTEE):
        for name in ("body", "meeting_new", "commitment_new", "membership_new", "focal_point"):
            url = reverse(f"network_work:{name}", args=[key])
            assert client.get(url).status_code == 403, url
    meeting = Meeting.objects.get(name=IV_MEETING)
    assert client.get(reverse("network_work:meeting_edit", args=[meeting.pk])).status_code == 403
    before = _written()
    response = client.post(
        reverse("network_work:meeting_new", args=[COUNCIL]),
        _meeting(name="Reunión de carlos", starts_on="2008-05-10"),
    )
    assert response.status_code == 403
    assert _written() == before


def test_marco_reports_but_does_not_run_the_committee(network, marco):
    client = _as(marco)
    assert client.get(reverse("network_work:home")).status_code == 200
    assert client.get(reverse("network_work:body", args=[COMMITTEE])).status_code == 403
    assert client.get(reverse("network_work:meeting_new", args=[COMMITTEE])).status_code == 403


# ---------------------------------------------------------------- meetings


def test_a_recorded_committee_meeting_meets_the_yearly_commitment(network, sonia):
    client = _as(sonia)
    url = reverse("network_work:meeting_new", args=[COMMITTEE])
    assert client.get(url).status_code == 200
    yearly = Commitment.objects.get(title="Reunir al Comité Directivo al menos una vez al año.")
    state = meeting_commitment_states([yearly], dt.date(2009, 1, 15))[yearly.pk]
    assert state.recurring.periods[0].state != "met"  # nothing yet in 2008

    response = client.post(
        url,
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
    assert meeting.body.key == COMMITTEE
    assert (meeting.starts_on, meeting.ends_on) == (dt.date(2008, 5, 10), dt.date(2008, 5, 10))
    assert meeting.is_virtual
    assert meeting.history.first().history_user == sonia
    assert list(meeting.agenda.values_list("day", "time", "title")) == [
        (dt.date(2008, 5, 10), "10:00-11:00", "Elección del Presidente")
    ]
    assert list(meeting.participation.values_list("kind", "count", "organization")) == [
        ("government", 4, None)
    ]

    yearly.refresh_from_db()
    state = meeting_commitment_states([yearly], dt.date(2009, 1, 15))[yearly.pk]
    periods = state.recurring.periods
    assert periods[0].state == "met"
    assert [p.state for p in periods] == ["met", "in_course"]
    assert meeting in state.meetings

    # the body page lists it, with its agenda counted
    page = client.get(reverse("network_work:body", args=[COMMITTEE]))
    assert page.status_code == 200
    listed = {m.pk: m for m in page.context["meetings"].rows}
    assert listed[meeting.pk].agenda_count == 1


def test_a_meeting_before_the_founding_is_refused_on_its_date(network, sonia):
    before = _written()
    response = _as(sonia).post(
        reverse("network_work:meeting_new", args=[COUNCIL]),
        _meeting(name="Reunión imposible", starts_on="2004-05-01", agenda="Apertura"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["starts_on"]
    assert "2004" in form.errors["starts_on"][0]
    assert form["name"].value() == "Reunión imposible"  # the form is kept
    assert _written() == before
    assert not Meeting.objects.filter(name="Reunión imposible").exists()


def test_a_bad_agenda_line_is_refused_on_the_agenda(network, sonia):
    before = _written()
    response = _as(sonia).post(
        reverse("network_work:meeting_new", args=[COMMITTEE]),
        _meeting(name="Reunión", starts_on="2008-05-10", agenda="Apertura\nayer | 10:00 | Cierre"),
    )
    assert response.status_code == 200
    assert "ayer" in response.context["form"].errors["agenda"][0]
    assert _written() == before


def test_editing_a_meeting_keeps_what_was_not_touched(network, sonia):
    client = _as(sonia)
    meeting = Meeting.objects.get(name=IV_MEETING)
    agenda = list(meeting.agenda.values_list("day", "time", "title", "source_ref"))
    participation = sorted(
        meeting.participation.values_list("kind", "organization", "count", "source_ref"),
        key=str,
    )
    url = reverse("network_work:meeting_edit", args=[meeting.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        name: value
        for name, value in page.context["form"].initial.items()
        if value is not None and name != "country"
    }
    data["country"] = meeting.country_id or ""
    data["place"] = "Ciudad de Panamá (sede)"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting.refresh_from_db()
    assert meeting.place == "Ciudad de Panamá (sede)"
    assert meeting.version == data["version"] + 1
    assert list(meeting.agenda.values_list("day", "time", "title", "source_ref")) == agenda
    assert (
        sorted(
            meeting.participation.values_list("kind", "organization", "count", "source_ref"),
            key=str,
        )
        == participation
    )
    assert meeting.history.first().history_user == sonia

    # a second writer who opened the older version loses, and writes nothing
    before = _written()
    stale = client.post(url, {**data, "place": "Otra sede"})
    assert stale.status_code == 409
    meeting.refresh_from_db()
    assert meeting.place == "Ciudad de Panamá (sede)"
    assert _written() == before


def test_the_home_counts_late_commitments_and_waiting_updates(network, sonia, marco):
    """The home's counts agree with the body pages' lists (the meetings grown also change
    the state of the commitments met by meetings, so the counts are not simply one more)."""
    client = _as(sonia)

    def home():
        page = client.get(reverse("network_work:home"))
        assert page.status_code == 200
        return {b.key: (b.late_count, b.waiting_count) for b in page.context["bodies"].rows}

    def listed(key):
        page = client.get(reverse("network_work:body", args=[key]))
        late = sum(1 for row in page.context["commitments"].rows if row.late)
        return late, len(page.context["updates"].rows)

    before = home()
    assert set(before) == {COUNCIL, COMMITTEE}  # the bodies she runs, and only those
    assert before == {key: listed(key) for key in before}
    assert all(waiting == 0 for _late, waiting in before.values())
    _grow(network, 0, [marco])  # per body: one late commitment, one not, two updates waiting
    after = home()
    assert after == {key: listed(key) for key in after}
    assert all(waiting == 2 for _late, waiting in after.values())
    grown = Commitment.objects.get(body__key=COUNCIL, title="Compromiso 0 True")
    page = client.get(reverse("network_work:body", args=[COUNCIL]))
    assert {row.pk: row.state for row in page.context["commitments"].rows}[grown.pk] == "overdue"


# ---------------------------------------------------------------- memberships


def test_membership_refusals_name_the_field(network, sonia):
    url = reverse("network_work:membership_new", args=[COMMITTEE])
    client = _as(sonia)
    ecuador = Organization.objects.get(key="gobierno-ec").pk
    before = _written()
    backwards = client.post(
        url,
        {
            "organization": ecuador,
            "role": "member",
            "term_from": "2009-01-01",
            "term_to": "2008-01-01",
        },
    )
    assert backwards.status_code == 200
    assert list(backwards.context["form"].errors) == ["term_to"]
    assert _written() == before

    second = client.post(
        url,
        {
            "organization": Organization.objects.get(key="gobierno-ni").pk,
            "role": "titular",
            "seat": "Subregión Mesoamérica",
            "term_from": "2008-03-01",
        },
    )
    assert second.status_code == 200
    assert list(second.context["form"].errors) == ["role"]
    assert "Gobierno de Panamá" in second.context["form"].errors["role"][0]
    assert _written() == before

    ok = client.post(url, {"organization": ecuador, "role": "observer", "term_from": "2008-03-01"})
    assert ok.status_code == 302
    assert Membership.objects.count() == before[4] + 1
    added = Membership.objects.get(body__key=COMMITTEE, organization_id=ecuador, role="observer")
    assert added.history.first().history_user == sonia


def test_a_term_cannot_end_before_it_starts(network, sonia):
    panama = Membership.objects.get(
        body__key=COMMITTEE, organization__key="gobierno-pa", role="titular"
    )
    client = _as(sonia)
    url = reverse("network_work:membership_end", args=[panama.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"on": "2007-01-01", "reason": "ended"})
    assert refused.status_code == 200
    assert "on" in refused.context["form"].errors
    panama.refresh_from_db()
    assert panama.term_to is None
    assert client.post(url, {"on": "2009-10-19"}).status_code == 302
    panama.refresh_from_db()
    assert panama.term_to == dt.date(2009, 10, 19)


# ---------------------------------------------------------------- decisions and commitments


def test_sonia_records_a_decision_and_a_commitment_for_a_meeting(network, sonia):
    client = _as(sonia)
    meeting = Meeting.objects.get(name=IV_MEETING)
    url = reverse("network_work:decision_new", args=[meeting.pk])
    assert client.get(url).status_code == 200

    before = _written()
    empty = client.post(url, {"kind": "agreement", "number": "99", "text": " "})
    assert empty.status_code == 200
    assert "text" in empty.context["form"].errors
    assert _written() == before

    response = client.post(
        url,
        {
            "kind": "agreement",
            "number": "99",
            "text": "Preparar un informe regional de avance en CPS.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    decision = Decision.objects.get(meeting=meeting, number="99")
    assert decision.text == "Preparar un informe regional de avance en CPS."
    assert decision.history.first().history_user == sonia

    # the same number again is refused, not a server error
    again = client.post(url, {"kind": "agreement", "number": "99", "text": "Otra vez."})
    assert again.status_code == 200
    assert again.context["form"].errors
    assert Decision.objects.filter(meeting=meeting, number="99").count() == 1

    new = reverse("network_work:commitment_new", args=[COUNCIL])
    form = client.get(new, {"decision": decision.pk})
    assert form.status_code == 200
    assert form.context["form"]["decision"].value() == str(decision.pk)
    panama = Organization.objects.get(key="gobierno-pa")
    commitment = {
        "title": "Presentar el informe regional de avance.",
        "decision": decision.pk,
        "responsible_organizations": [panama.pk],
        "rule": "reported",
        "status": "open",
        "due_on": "2007-01-01",  # before the meeting
    }
    before = _written()
    early = client.post(new, commitment)
    assert early.status_code == 200
    assert list(early.context["form"].errors) == ["due_on"]
    assert _written() == before

    response = client.post(new, {**commitment, "due_on": "2008-10-18"})
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Commitment.objects.get(title="Presentar el informe regional de avance.")
    assert (saved.body.key, saved.decision, saved.due_on) == (
        COUNCIL,
        decision,
        dt.date(2008, 10, 18),
    )
    assert list(saved.responsible_organizations.all()) == [panama]
    assert saved.history.first().history_user == sonia

    page = client.get(reverse("network_work:body", args=[COUNCIL]))
    listed = {row.pk: row for row in page.context["commitments"].rows}
    assert saved.pk in listed
    meetings = {m.pk: m for m in page.context["meetings"].rows}
    assert decision in meetings[meeting.pk].decisions.all()


# ---------------------------------------------------------------- progress updates


def _report(client, url, **fields):
    return client.post(
        url,
        {
            "organization": Organization.objects.get(key="gobierno-pa").pk,
            "reported_status": "in_progress",
            "action": "submit",
            **fields,
        },
    )


def test_a_reported_update_is_approved_or_returned_by_the_secretariat(network, sonia, marco):
    commitment = Commitment.objects.get(title=PRESIDENT)
    assert commitment.responsible_body.key == COMMITTEE
    reporter, secretariat = _as(marco), _as(sonia)
    url = reverse("network_work:update_new", args=[commitment.pk])
    body_url = reverse("network_work:body", args=[COMMITTEE])

    # marco sees the commitment among his organization's, and writes the update
    home = reporter.get(reverse("network_work:home"))
    assert commitment.pk in {row.pk for row in home.context["commitments"].rows}
    assert reporter.get(url).status_code == 200
    response = _report(
        reporter, url, date="2008-03-01", reported_status="done", text="Se eligió a Panamá."
    )
    assert response.status_code == 302
    assert response.url == url
    update = CommitmentUpdate.objects.get(commitment=commitment)
    assert (update.status, update.created_by, update.submitted_by) == ("submitted", marco, marco)
    assert update.organization.key == "gobierno-pa"

    # marco may not review his own update
    approve = reverse("network_work:update_approve", args=[update.pk])
    give_back = reverse("network_work:update_return", args=[update.pk])
    assert reporter.post(approve).status_code == 403
    assert reporter.post(give_back, {"comment": "no"}).status_code == 403
    update.refresh_from_db()
    assert update.status == "submitted"

    # sonia finds it on the committee's page and approves it there
    page = secretariat.get(body_url)
    assert page.status_code == 200
    waiting = {u.pk: u for u in page.context["updates"].rows}
    assert waiting[update.pk].can_review
    assert {r.pk: r.waiting for r in page.context["commitments"].rows}[commitment.pk] == 1
    response = secretariat.post(approve, {"next": body_url})
    assert response.status_code == 302
    assert response.url == body_url
    update.refresh_from_db()
    commitment.refresh_from_db()
    assert (update.status, update.reviewed_by) == ("approved", sonia)
    assert (commitment.status, commitment.done_on) == ("done", dt.date(2008, 3, 1))
    assert secretariat.get(body_url).context["updates"].rows == []
    # approving twice does not change anything
    assert secretariat.post(approve, {"next": body_url}).status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == "done"

    # another update, returned with a comment, corrected and submitted again
    _report(reporter, url, date="2008-04-01", text="Avance")
    second = CommitmentUpdate.objects.exclude(pk=update.pk).get()
    assert second.status == "submitted"
    give_back = reverse("network_work:update_return", args=[second.pk])
    assert secretariat.get(give_back).status_code == 200
    no_comment = secretariat.post(give_back, {"comment": " "})
    assert no_comment.status_code == 200
    assert "comment" in no_comment.context["form"].errors
    returned = secretariat.post(give_back, {"comment": "¿Qué avance?", "next": body_url})
    assert returned.status_code == 302
    assert returned.url == body_url
    second.refresh_from_db()
    assert (second.status, second.review_comment) == ("returned", "¿Qué avance?")

    edit = reverse("network_work:update_edit", args=[second.pk])
    assert reporter.get(edit).status_code == 200
    again = _report(
        reporter, edit, date="2008-04-01", text="Se convocó la elección.", version=second.version
    )
    assert again.status_code == 302
    second.refresh_from_db()
    assert (second.status, second.text) == ("submitted", "Se convocó la elección.")
    commitment.refresh_from_db()
    assert commitment.status == "done"  # until the secretariat approves it

    # a submitted update can no longer be changed
    late = _report(reporter, edit, date="2008-04-01", text="Otro texto.", version=second.version)
    assert late.status_code in (200, 409)
    second.refresh_from_db()
    assert second.text == "Se convocó la elección."


def test_a_draft_update_is_kept_and_a_future_date_refused(network, marco):
    commitment = Commitment.objects.get(title=PRESIDENT)
    client = _as(marco)
    url = reverse("network_work:update_new", args=[commitment.pk])
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    refused = _report(client, url, date=future, text="Pronto.")
    assert refused.status_code == 200
    assert "date" in refused.context["form"].errors
    assert not CommitmentUpdate.objects.exists()
    draft = _report(client, url, date="2008-03-01", text="Borrador.", action="draft")
    assert draft.status_code == 302
    assert CommitmentUpdate.objects.get().status == "draft"


# ---------------------------------------------------------------- a fixed number of queries


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _grow(network, n, users):
    """A meeting with agenda, participation and decisions, and a commitment of it with a
    responsible organization and an update waiting for review, in the council and in its
    committee."""
    panama = Organization.objects.get(key="gobierno-pa")
    for key in (COUNCIL, COMMITTEE):
        body = network[key]
        day = dt.date(2010, 2, 1 + n)
        meeting = Meeting.objects.create(
            body=body, name=f"Sesión {n}", starts_on=day, ends_on=day, status="held"
        )
        AgendaItem.objects.create(meeting=meeting, title=f"Punto {n}")
        Participation.objects.create(meeting=meeting, kind="government", count=n + 1)
        decision = Decision.objects.create(
            meeting=meeting, number=str(n + 1), kind="agreement", text=f"Acuerdo {n}"
        )
        for late, due in ((True, dt.date(2011, 1, 1)), (False, dt.date(2999, 1, 1))):
            commitment = Commitment.objects.create(
                body=body,
                decision=decision,
                responsible_body=network[COMMITTEE],
                title=f"Compromiso {n} {late}",
                rule="reported",
                due_on=due,
            )
            commitment.responsible_organizations.add(panama)
            CommitmentUpdate.objects.create(
                commitment=commitment,
                organization=panama,
                date=dt.date(2011, 2, 1),
                reported_status="in_progress",
                text="x",
                status="submitted",
                created_by=users[n % len(users)],
                submitted_by=users[n % len(users)],
            )


@pytest.mark.parametrize(
    "who, page, key",
    [
        ("sonia", "home", None),
        ("marco", "home", None),
        ("sonia", "body", COUNCIL),
        ("sonia", "body", COMMITTEE),
    ],
)
def test_the_work_pages_run_a_fixed_number_of_queries(network, sonia, marco, who, page, key):
    client = _as({"sonia": sonia, "marco": marco}[who])
    url = reverse(f"network_work:{page}", args=[key] if key else [])
    users = [sonia, marco]

    _grow(network, 0, users)  # one of each, then nine
    before = _count(client, url)
    for n in range(1, 9):
        _grow(network, n, users)
    assert _count(client, url) == before


# ---------------------------------------------------------------- what a commitment serves


def _as_posted(form) -> dict:
    """The data a browser posts for an unchanged form."""
    data = {}
    for field in form:
        value = field.value()
        if value is None or value is False:
            continue
        data[field.name] = value if isinstance(value, list | tuple) else str(value)
    return data


def test_a_commitment_serves_plan_nodes_and_indicators(network, sonia):
    client = _as(sonia)
    commitment = Commitment.objects.filter(body__key=COUNCIL, rule="reported").first()
    url = reverse("network_work:commitment_edit", args=[commitment.pk])
    data = _as_posted(client.get(url).context["form"])
    assert data.get("links", "") == ""

    before = _written()
    for links, named in (
        ("pa-pml-plan-accion 1.1.1", "«pa-pml-plan-accion 1.1.1»"),  # no separator
        ("pa-pml-plan-accion: 1.1.1\nno-such-plan: 1", "no-such-plan"),
        ("pa-pml-plan-accion: 9.9.9", "9.9.9"),
    ):
        refused = client.post(url, {**data, "links": links})
        assert refused.status_code == 200
        errors = refused.context["form"].errors["links"]
        assert any(named in e for e in errors), errors
    assert _written() == before
    assert not commitment.nodes.exists()

    links = "pa-pml-plan-accion: 1.1.1\n\npa-pml-plan-accion: 1.1.1-R\ncl-politica-pl-2010: 3.7"
    response = client.post(url, {**data, "links": links})
    assert response.status_code == 302, response.context["form"].errors
    commitment.refresh_from_db()
    assert [(n.plan.slug, n.normalized_code) for n in commitment.nodes.order_by("plan__slug")] == [
        ("cl-politica-pl-2010", "3.7"),
        ("pa-pml-plan-accion", "1.1.1"),
    ]
    assert [i.code for i in commitment.indicators.all()] == ["1.1.1-R"]
    assert commitment.history.first().history_user == sonia

    # the form shows them again as typed, and the board links them
    again = _as_posted(client.get(url).context["form"])
    assert sorted(again["links"].splitlines()) == sorted(
        ["pa-pml-plan-accion: 1.1.1", "pa-pml-plan-accion: 1.1.1-R", "cl-politica-pl-2010: 3.7."]
    )
    board = Client().get(reverse("network:commitments"), {"body": COUNCIL})
    html = board.content.decode()
    assert reverse("web:indicator", args=["pa-pml-plan-accion", "1.1.1-R"]) in html
    assert reverse("web:node", args=["cl-politica-pl-2010", "3.7"]) in html


def test_a_meeting_lists_published_documents_only(network, sonia):
    from limpia.knowledge.models import Document

    client = _as(sonia)
    meeting = Meeting.objects.get(name=IV_MEETING)
    minutes = Document.objects.create(
        kind="minutes",
        title="Informe de la IV Reunión",
        link="https://example.org/informe",
        status="published",
        published_on=dt.date(2007, 12, 1),
    )
    draft = Document.objects.create(
        kind="report", title="Borrador", link="https://example.org/b", status="draft"
    )
    url = reverse("network_work:meeting_edit", args=[meeting.pk])
    form = client.get(url).context["form"]
    assert draft.pk not in {d.pk for d in form.fields["documents"].queryset}
    data = _as_posted(form)
    refused = client.post(url, {**data, "documents": [draft.pk]})
    assert "documents" in refused.context["form"].errors
    response = client.post(url, {**data, "documents": [minutes.pk]})
    assert response.status_code == 302, response.context["form"].errors
    assert list(meeting.documents.all()) == [minutes]
    page = Client().get(reverse("network:meeting", args=[meeting.pk]))
    assert "Informe de la IV Reunión" in page.content.decode()
    # a second save that leaves the documents alone keeps them
    data = _as_posted(client.get(url).context["form"])
    assert client.post(url, {**data, "place": "São Paulo, Brasil"}).status_code == 302
    assert list(meeting.documents.all()) == [minutes]


# ---------------------------------------------------------------- bodies and decisions


def test_sonia_founds_a_working_group_under_the_council_and_edits_it(network, sonia, marco):
    """Conclusion 73: a new Marrakech working group on SMEs, under the council she runs."""
    client = _as(sonia)
    url = reverse("network_work:body_new", args=[COUNCIL])
    assert client.get(url).status_code == 200
    group = {
        "key": "grupo-pymes",
        "name": "Grupo de trabajo de Marrakech sobre pymes",
        "kind": "working_group",
        "scope": "region",
        "status": "proposed",
    }
    before = _written()
    for bad, field in (
        ({"key": COMMITTEE}, "key"),  # taken
        ({"scope": "subdivision", "subdivision": "XX-99"}, "subdivision"),
        ({"scope": "country"}, "country"),  # a country body needs its country
    ):
        refused = client.post(url, {**group, **bad})
        assert refused.status_code in (200, 400)
        assert field in refused.context["form"].errors, refused.context["form"].errors
    assert _written() == before
    assert not Body.objects.filter(key="grupo-pymes").exists()

    response = client.post(url, group)
    assert response.status_code == 302, response.context["form"].errors
    created = Body.objects.get(key="grupo-pymes")
    assert created.parent.key == COUNCIL and created.status == "proposed"
    assert created.history.first().history_user == sonia
    # she runs it (it is under the council), marco does not
    edit = reverse("network_work:body_edit", args=["grupo-pymes"])
    assert _as(marco).get(edit).status_code == 403
    data = _as_posted(client.get(edit).context["form"])
    assert "key" not in data
    response = client.post(edit, {**data, "status": "active", "founded_on": "2008-03-01"})
    assert response.status_code == 302, response.context["form"].errors
    created.refresh_from_db()
    assert (created.status, created.founded_on) == ("active", dt.date(2008, 3, 1))
    # under Chile's council, which she does not run: refused
    chile = reverse("network_work:body_new", args=["consejo-nacional-produccion-limpia"])
    assert client.get(chile).status_code == 403


def test_a_decision_is_corrected_with_its_version(network, sonia):
    client = _as(sonia)
    decision = Decision.objects.filter(meeting__name=IV_MEETING).order_by("position").first()
    url = reverse("network_work:decision_edit", args=[decision.pk])
    data = _as_posted(client.get(url).context["form"])
    assert data["text"] == decision.text
    blank = client.post(url, {**data, "text": "  "})
    assert "text" in blank.context["form"].errors
    response = client.post(url, {**data, "note": "Revisado contra el original."})
    assert response.status_code == 302, response.context["form"].errors
    decision.refresh_from_db()
    assert decision.note == "Revisado contra el original." and decision.version == 2
    stale = client.post(url, {**data, "note": "Otra"})  # the version read before the change
    assert stale.status_code == 409
    decision.refresh_from_db()
    assert decision.note == "Revisado contra el original."
