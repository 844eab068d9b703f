"""The network's REST API (limpia.network.api) through the real URLs, as its personas:

- sonia: secretariat of the Consejo de Prueba (so she also runs its committee)
- marco: acts for the Government of Chile, responsible for one of the council's commitments
- ana (administrator) and carlos (logged in, no role) from the project's conftest;
  the anonymous visitor.

The world: the council (founded 2010-01-01) with its committee, and a national round table
nobody here runs; the council's I Meeting (2015-05-10), its decision 1 a), and two
commitments: a reported one of Chile's government due 2016-12-31, and "meet at least once a
year" from 2015, met by the council's meetings.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from limpia.access.models import Role, RoleAssignment
from limpia.core.models import Organization
from limpia.network.models import (
    AgendaItem,
    Body,
    Commitment,
    CommitmentUpdate,
    Decision,
    FocalPoint,
    Meeting,
    Membership,
    Participation,
)

API = "/api/v1/network/"
BODIES = f"{API}bodies/"
MEMBERSHIPS = f"{API}memberships/"
FOCAL_POINTS = f"{API}focal-points/"
MEETINGS = f"{API}meetings/"
DECISIONS = f"{API}decisions/"
COMMITMENTS = f"{API}commitments/"
UPDATES = f"{API}commitment-updates/"


@pytest.fixture(autouse=True)
def in_english(settings):
    """Messages are asserted in English, whatever the site's default language."""
    settings.LANGUAGE_CODE = "en"


def _user(username, role=None, **scope):
    user = get_user_model().objects.create_user(username, password="contraseña-segura-1")
    if role is not None:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


def _organization(key, name, country):
    return Organization.objects.create(key=key, name=name, kind="public_agency", country_id=country)


@pytest.fixture
def world(db):
    chile = _organization("gobierno-cl", "Gobierno de Chile", "CL")
    peru = _organization("gobierno-pe", "Gobierno del Perú", "PE")
    council = Body.objects.create(
        key="consejo-prueba",
        name="Consejo de Prueba",
        acronym="CP",
        kind="council",
        scope="region",
        founded_on=dt.date(2010, 1, 1),
    )
    committee = Body.objects.create(
        key="comite-prueba",
        name="Comité Directivo de Prueba",
        kind="steering_committee",
        scope="region",
        parent=council,
    )
    table = Body.objects.create(
        key="mesa-nacional",
        name="Mesa Nacional de Producción Limpia",
        kind="round_table",
        scope="country",
        country_id="CL",
    )
    current = Membership.objects.create(
        body=council, organization=chile, seat="Cono Sur", term_from=dt.date(2014, 1, 1)
    )
    past = Membership.objects.create(
        body=council,
        organization=peru,
        seat="Andina",
        term_from=dt.date(2010, 1, 1),
        term_to=dt.date(2012, 12, 31),
    )
    FocalPoint.objects.create(
        body=council,
        country_id="CL",
        organization=chile,
        unit="Oficina de Producción Limpia",
        person_name="Paula Rojas",
        contact="paula@example.org",
        consent_on=dt.date(2020, 1, 1),
    )
    FocalPoint.objects.create(body=council, country_id="PE", organization=peru)
    meeting = Meeting.objects.create(
        body=council,
        number=1,
        name="I Reunión del Consejo",
        starts_on=dt.date(2015, 5, 10),
        ends_on=dt.date(2015, 5, 11),
        place="Santiago",
        country_id="CL",
    )
    AgendaItem.objects.create(meeting=meeting, position=1, title="Apertura")
    Participation.objects.create(meeting=meeting, kind="government", count=12)
    decision = Decision.objects.create(
        meeting=meeting, number="1 a", kind="agreement", text="Publicar el informe regional."
    )
    reported = Commitment.objects.create(
        body=council,
        decision=decision,
        title="Publicar el informe regional",
        rule="reported",
        due_on=dt.date(2016, 12, 31),
    )
    reported.responsible_organizations.set([chile])
    yearly = Commitment.objects.create(
        body=council,
        decision=decision,
        title="Reunirse al menos una vez al año",
        rule="meetings",
        tracked_body=council,
        starts_on=dt.date(2015, 1, 1),
        every_months=12,
    )
    return {
        "chile": chile,
        "peru": peru,
        "council": council,
        "committee": committee,
        "table": table,
        "current": current,
        "past": past,
        "meeting": meeting,
        "decision": decision,
        "reported": reported,
        "yearly": yearly,
    }


@pytest.fixture
def sonia(world):
    return _user("sonia", Role.BODY_SECRETARIAT, body=world["council"])


@pytest.fixture
def marco(world):
    return _user("marco", Role.BODY_MEMBER, organization=world["chile"])


def counts():
    models = (Body, Membership, FocalPoint, Meeting, Decision, Commitment, CommitmentUpdate)
    return {model.__name__: model.objects.count() for model in models}


# ---------------------------------------------------------------- reads, by anybody


def test_anybody_lists_the_bodies_and_filters_them(api, world):
    client = api()

    everything = client.get(BODIES).json()
    councils = client.get(BODIES, {"kind": "council"}).json()
    national = client.get(BODIES, {"scope": "country", "country": "CL"}).json()
    under = client.get(BODIES, {"parent": "consejo-prueba"}).json()
    found = client.get(BODIES, {"q": "directivo"}).json()
    by_acronym = client.get(BODIES, {"q": "CP"}).json()

    assert everything["count"] == 3
    assert [b["key"] for b in councils["results"]] == ["consejo-prueba"]
    assert [b["key"] for b in national["results"]] == ["mesa-nacional"]
    assert [b["key"] for b in under["results"]] == ["comite-prueba"]
    assert [b["key"] for b in found["results"]] == ["comite-prueba"]
    assert "consejo-prueba" in [b["key"] for b in by_acronym["results"]]


def test_a_bad_filter_value_is_a_400_naming_it(api, world):
    response = api().get(BODIES, {"kind": "club"})

    assert response.status_code == 400
    assert response.json()["field"] == "kind"


def test_a_bodys_detail_shows_its_current_composition_and_focal_points(api, world):
    response = api().get(f"{BODIES}consejo-prueba/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Consejo de Prueba"
    assert body["founded_on"] == "2010-01-01"
    assert body["version"] == 1
    # Perú's term ended in 2012: not in today's composition.
    assert [(m["organization"], m["seat"]) for m in body["composition"]] == [
        ("gobierno-cl", "Cono Sur")
    ]
    assert body["composition"][0]["organization_name"] == "Gobierno de Chile"
    points = {p["country"]: p for p in body["focal_points"]}
    assert points["CL"]["organization"] == "gobierno-cl"
    assert points["CL"]["unit"] == "Oficina de Producción Limpia"
    assert points["CL"]["position"] == "Punto Focal CPS"
    assert (points["CL"]["person_name"], points["CL"]["contact"]) == (
        "Paula Rojas",
        "paula@example.org",
    )
    assert (points["PE"]["person_name"], points["PE"]["contact"]) == ("", "")


def test_an_unknown_body_is_a_404(api, world):
    assert api().get(f"{BODIES}no-existe/").status_code == 404


def test_anybody_reads_memberships_focal_points_meetings_and_decisions(api, world):
    client = api()

    memberships = client.get(MEMBERSHIPS, {"body": "consejo-prueba"}).json()
    current = client.get(MEMBERSHIPS, {"body": "consejo-prueba", "current": "1"}).json()
    other_body = client.get(MEMBERSHIPS, {"body": "mesa-nacional"}).json()
    points = client.get(FOCAL_POINTS, {"body": "consejo-prueba"}).json()
    meetings = client.get(MEETINGS, {"body": "consejo-prueba"}).json()
    meeting = client.get(f"{MEETINGS}{world['meeting'].pk}/").json()
    decisions = client.get(DECISIONS, {"body": "consejo-prueba"}).json()

    assert memberships["count"] == 2
    assert [m["organization"] for m in current["results"]] == ["gobierno-cl"]
    assert other_body["count"] == 0
    assert points["count"] == 2
    assert [m["name"] for m in meetings["results"]] == ["I Reunión del Consejo"]
    assert meeting["body"] == "consejo-prueba"
    assert [a["title"] for a in meeting["agenda"]] == ["Apertura"]
    assert meeting["participation"] == [
        {"kind": "government", "organization": None, "count": 12, "text": "", "source_ref": ""}
    ]
    [decision] = decisions["results"]
    assert (decision["body"], decision["meeting"], decision["number"]) == (
        "consejo-prueba",
        world["meeting"].pk,
        "1 a",
    )


def test_the_upcoming_filter_keeps_scheduled_meetings_not_over_yet(api, world, sonia):
    from django.utils import timezone

    soon = timezone.localdate() + dt.timedelta(days=30)
    Meeting.objects.create(
        body=world["council"],
        number=2,
        name="II Reunión del Consejo",
        status="scheduled",
        starts_on=soon,
        ends_on=soon,
    )

    upcoming = api().get(MEETINGS, {"upcoming": "1"}).json()
    every = api().get(MEETINGS).json()

    assert [m["name"] for m in upcoming["results"]] == ["II Reunión del Consejo"]
    assert every["count"] == 2


# ---------------------------------------------------------------- who may write


def test_anonymous_visitors_cannot_write(api, world):
    response = api().post(MEMBERSHIPS, {"body": "consejo-prueba"}, format="json")

    assert response.status_code == 401


def test_a_user_without_a_role_cannot_write(api, world, carlos):
    client = api(carlos)
    before = counts()
    valid_membership = {
        "body": "consejo-prueba",
        "organization": "gobierno-pe",
        "seat": "Andina",
        "term_from": "2016-01-01",
    }

    answers = [
        client.post(MEMBERSHIPS, valid_membership, format="json"),
        client.post(MEMBERSHIPS, {}, format="json"),  # refused before the body is read
        client.post(
            BODIES,
            {"key": "nuevo", "name": "Nuevo", "kind": "forum", "scope": "region"},
            format="json",
        ),
        client.patch(f"{BODIES}consejo-prueba/", {"name": "Tomado", "version": 1}, format="json"),
        client.patch(
            f"{COMMITMENTS}{world['reported'].pk}/",
            {"title": "Otro", "version": 1},
            format="json",
        ),
    ]

    assert [a.status_code for a in answers] == [403] * 5
    assert counts() == before
    assert Body.objects.get(key="consejo-prueba").name == "Consejo de Prueba"


def test_the_secretariat_seats_members_and_records_focal_points(api, world, sonia):
    client = api(sonia)

    seated = client.post(
        MEMBERSHIPS,
        {
            "body": "consejo-prueba",
            "organization": "gobierno-pe",
            "role": "titular",
            "seat": "Andina",
            "term_from": "2016-01-01",
            "term_to": "2017-12-31",
        },
        format="json",
    )
    point = client.post(
        FOCAL_POINTS,
        {"body": "comite-prueba", "country": "PE", "organization": "gobierno-pe"},
        format="json",
    )

    assert seated.status_code == 201, seated.content
    assert seated.json()["role"] == "titular"
    assert seated.json()["version"] == 1
    membership = Membership.objects.get(pk=seated.json()["id"])
    assert membership.history.first().history_user == sonia
    assert point.status_code == 201, point.content  # the council's committee: hers too
    assert FocalPoint.objects.filter(body=world["committee"], country_id="PE").exists()


def test_the_secretariat_cannot_write_another_bodys_records(api, world, sonia):
    response = api(sonia).post(
        MEMBERSHIPS,
        {"body": "mesa-nacional", "organization": "gobierno-cl", "seat": "Gobierno"},
        format="json",
    )

    assert response.status_code == 403
    assert not Membership.objects.filter(body=world["table"]).exists()


def test_the_secretariat_creates_a_body_under_hers_and_updates_with_the_version(api, world, sonia):
    client = api(sonia)

    created = client.post(
        BODIES,
        {
            "key": "grupo-indicadores",
            "name": "Grupo de Trabajo de Indicadores",
            "kind": "working_group",
            "scope": "region",
            "parent": "consejo-prueba",
        },
        format="json",
    )
    unversioned = client.patch(f"{BODIES}consejo-prueba/", {"acronym": "CdP"}, format="json")
    changed = client.patch(
        f"{BODIES}consejo-prueba/", {"acronym": "CdP", "version": 1}, format="json"
    )
    stale = client.patch(
        f"{BODIES}consejo-prueba/", {"acronym": "Otro", "version": 1}, format="json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["parent"] == "consejo-prueba"
    assert created.json()["composition"] == [] and created.json()["focal_points"] == []
    assert (unversioned.status_code, unversioned.json()["field"]) == (400, "version")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["acronym"], changed.json()["version"]) == ("CdP", 2)
    assert (stale.status_code, stale.json()["code"]) == (409, "conflict")
    assert Body.objects.get(key="consejo-prueba").acronym == "CdP"


def test_the_secretariat_records_a_meeting_with_agenda_and_participation(api, world, sonia):
    response = api(sonia).post(
        MEETINGS,
        {
            "body": "consejo-prueba",
            "number": 2,
            "name": "II Reunión del Consejo",
            "kind": "extended",
            "starts_on": "2016-03-01",
            "ends_on": "2016-03-02",
            "country": "PE",
            "agenda": [
                {"day": "2016-03-01", "time": "09:00", "title": "Apertura"},
                {"day": "2016-03-02", "title": "Elecciones"},
            ],
            "participation": [
                {"kind": "government", "count": 14, "text": "14 países"},
                {"kind": "ngo", "organization": "gobierno-pe", "count": 1},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert [(a["position"], a["title"]) for a in body["agenda"]] == [
        (1, "Apertura"),
        (2, "Elecciones"),
    ]
    assert [(p["kind"], p["organization"], p["count"]) for p in body["participation"]] == [
        ("government", None, 14),
        ("ngo", "gobierno-pe", 1),
    ]
    meeting = Meeting.objects.get(pk=body["id"])
    assert meeting.agenda.count() == 2 and meeting.participation.count() == 2

    # A change without agenda keeps it; with one, replaces it.
    kept = api(sonia).patch(
        f"{MEETINGS}{meeting.pk}/", {"place": "Lima", "version": 1}, format="json"
    )
    replaced = api(sonia).patch(
        f"{MEETINGS}{meeting.pk}/",
        {"agenda": [{"title": "Sesión única"}], "version": 2},
        format="json",
    )
    assert kept.status_code == 200, kept.content
    assert len(kept.json()["agenda"]) == 2
    assert [a["title"] for a in replaced.json()["agenda"]] == ["Sesión única"]


def test_the_secretariat_records_a_decision_and_its_commitment(api, world, sonia):
    client = api(sonia)

    decision = client.post(
        DECISIONS,
        {
            "meeting": world["meeting"].pk,
            "number": "1 b",
            "kind": "recommendation",
            "text": "Recomendar al Comité un plan de trabajo.",
            "addressed_to": "comite-prueba",
        },
        format="json",
    )
    commitment = client.post(
        COMMITMENTS,
        {
            "body": "consejo-prueba",
            "decision": decision.json()["id"],
            "title": "Preparar el plan de trabajo",
            "rule": "reported",
            "due_on": "2016-06-30",
            "responsible": ["gobierno-cl", world["peru"].pk],  # keys or ids
        },
        format="json",
    )

    assert decision.status_code == 201, decision.content
    assert decision.json()["addressed_to"] == "comite-prueba"
    assert commitment.status_code == 201, commitment.content
    assert sorted(commitment.json()["responsible"]) == ["gobierno-cl", "gobierno-pe"]
    assert commitment.json()["state"] == "overdue"  # today: long past 2016-06-30
    assert commitment.json()["late"] is True
    saved = Commitment.objects.get(pk=commitment.json()["id"])
    assert {o.key for o in saved.responsible_organizations.all()} == {
        "gobierno-cl",
        "gobierno-pe",
    }

    replaced = client.patch(
        f"{COMMITMENTS}{saved.pk}/", {"responsible": ["gobierno-pe"], "version": 1}, format="json"
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["responsible"] == ["gobierno-pe"]


def test_a_commitment_serves_nodes_and_indicators_of_plans_its_writer_sees(api, world, sonia):
    from limpia.plans.models import Indicator, Node, Plan

    def plan(slug, status):
        plan = Plan.objects.create(
            slug=slug,
            title=slug,
            country_id="CL",
            status=status,
            period_start=dt.date(2010, 1, 1),
            period_end=dt.date(2020, 12, 31),
        )
        node = Node.objects.create(plan=plan, code="1", normalized_code="1", title="Meta")
        Indicator.objects.create(plan=plan, node=node, code="I1", name="Regiones", kind="quantity")
        return node

    public, draft = plan("plan-publico", "approved"), plan("plan-borrador", "draft")
    client = api(sonia)
    created = client.post(
        COMMITMENTS,
        {
            "body": "consejo-prueba",
            "title": "Organizar las regiones",
            "rule": "reported",
            "nodes": [public.pk],
            "indicators": [public.indicators.get().pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (created.json()["nodes"], created.json()["indicators"]) == (
        [public.pk],
        [public.indicators.get().pk],
    )
    pk = created.json()["id"]
    hidden = client.patch(
        f"{COMMITMENTS}{pk}/", {"nodes": [public.pk, draft.pk], "version": 1}, format="json"
    )
    assert hidden.status_code == 400 and "nodes" in hidden.json(), hidden.content
    assert list(Commitment.objects.get(pk=pk).nodes.all()) == [public]


# ---------------------------------------------------------------- refused input names its field


def test_a_term_that_ends_before_it_starts_is_refused_on_term_to(api, world, sonia):
    before = counts()

    response = api(sonia).post(
        MEMBERSHIPS,
        {
            "body": "consejo-prueba",
            "organization": "gobierno-pe",
            "seat": "Andina",
            "term_from": "2016-01-01",
            "term_to": "2015-12-31",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "term_to"
    assert response.json()["term_to"] == [response.json()["detail"]]
    assert counts() == before


def test_a_meeting_before_the_bodys_founding_is_refused_on_starts_on(api, world, sonia):
    before = counts()

    response = api(sonia).post(
        MEETINGS,
        {
            "body": "consejo-prueba",
            "name": "Reunión preparatoria",
            "starts_on": "2009-06-01",
            "ends_on": "2009-06-01",
            "agenda": [{"title": "Preparación"}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "starts_on"
    assert "founded" in response.json()["detail"]
    assert counts() == before
    assert AgendaItem.objects.count() == 1


def test_a_commitment_due_before_its_decisions_meeting_is_refused_on_due_on(api, world, sonia):
    before = counts()

    response = api(sonia).post(
        COMMITMENTS,
        {
            "body": "consejo-prueba",
            "decision": world["decision"].pk,
            "title": "Algo para antes",
            "rule": "reported",
            "due_on": "2015-01-01",
            "responsible": ["gobierno-cl"],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "due_on"
    assert counts() == before


def test_an_unknown_country_is_refused_on_country(api, world, sonia):
    before = counts()
    client = api(sonia)

    body = client.post(
        BODIES,
        {
            "key": "mesa-xx",
            "name": "Mesa de ninguna parte",
            "kind": "round_table",
            "scope": "country",
            "country": "XX",
            "parent": "consejo-prueba",
        },
        format="json",
    )
    point = client.post(
        FOCAL_POINTS,
        {"body": "consejo-prueba", "country": "XX", "organization": "gobierno-pe"},
        format="json",
    )

    assert (body.status_code, body.json()["field"]) == (400, "country")
    assert (point.status_code, point.json()["field"]) == (400, "country")
    assert counts() == before


def test_a_second_focal_point_for_a_country_and_a_name_without_consent_are_refused(
    api, world, sonia
):
    client = api(sonia)

    second = client.post(
        FOCAL_POINTS,
        {"body": "consejo-prueba", "country": "CL", "organization": "gobierno-pe"},
        format="json",
    )
    named = client.post(
        FOCAL_POINTS,
        {
            "body": "comite-prueba",
            "country": "PE",
            "organization": "gobierno-pe",
            "person_name": "Luis Soto",
        },
        format="json",
    )

    assert (second.status_code, second.json()["field"]) == (400, "country")
    assert (named.status_code, named.json()["field"]) == (400, "consent_on")
    assert FocalPoint.objects.count() == 2


# ---------------------------------------------------------------- commitment updates


def _draft(client, commitment, **extra):
    body = {
        "commitment": commitment.pk,
        "organization": "gobierno-cl",
        "date": "2017-03-01",
        "reported_status": "done",
        "text": "Informe publicado en el sitio del Consejo.",
        **extra,
    }
    return client.post(UPDATES, body, format="json")


def _act(client, update_id, verb, **body):
    return client.post(f"{UPDATES}{update_id}/{verb}/", body, format="json")


def test_an_update_submitted_and_approved_sets_the_commitment_done(api, world, sonia, marco):
    commitment = world["reported"]
    reporter = api(marco)

    draft = _draft(reporter, commitment)
    assert draft.status_code == 201, draft.content
    pk = draft.json()["id"]
    assert (draft.json()["status"], draft.json()["created_by"]) == ("draft", "marco")
    assert api().get(UPDATES).json()["count"] == 0  # not public until approved
    assert api().get(f"{UPDATES}{pk}/").status_code == 404

    submitted = _act(reporter, pk, "submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"

    own = _act(reporter, pk, "approve")
    assert own.status_code == 403  # marco cannot approve (his own) report
    assert CommitmentUpdate.objects.get(pk=pk).status == "submitted"

    approved = _act(api(sonia), pk, "approve")
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["reviewed_by"]) == ("approved", "sonia")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.done_on) == ("done", dt.date(2017, 3, 1))

    public = api().get(UPDATES).json()
    assert [u["id"] for u in public["results"]] == [pk]
    assert public["results"][0]["created_by"] is None  # names are not published
    again = _act(api(sonia), pk, "approve")
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")
    changed = api(marco).patch(f"{UPDATES}{pk}/", {"text": "Otro", "version": 3}, format="json")
    assert changed.status_code == 409


def test_a_returned_update_needs_a_comment_and_can_be_submitted_again(api, world, sonia, marco):
    reporter = api(marco)
    pk = _draft(reporter, world["reported"]).json()["id"]
    _act(reporter, pk, "submit")

    refused = _act(api(sonia), pk, "return")
    returned = _act(api(sonia), pk, "return", comment="Falta el enlace al informe.")
    corrected = reporter.patch(
        f"{UPDATES}{pk}/",
        {"evidence_url": "https://example.org/informe.pdf", "version": returned.json()["version"]},
        format="json",
    )
    resubmitted = _act(reporter, pk, "submit")

    assert (refused.status_code, refused.json()["field"]) == (400, "comment")
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"
    assert returned.json()["review_comment"] == "Falta el enlace al informe."
    assert corrected.status_code == 200, corrected.content
    assert resubmitted.json()["status"] == "submitted"
    world["reported"].refresh_from_db()
    assert world["reported"].status == "open"


def test_nobody_approves_an_update_they_submitted(api, world, sonia):
    client = api(sonia)  # the secretariat may report too, not review her own report
    pk = _draft(client, world["reported"]).json()["id"]
    assert _act(client, pk, "submit").status_code == 200

    response = _act(client, pk, "approve")

    assert response.status_code == 403
    assert CommitmentUpdate.objects.get(pk=pk).status == "submitted"


def test_updates_are_written_only_by_who_answers_for_the_commitment(api, world, marco, carlos):
    other = Commitment.objects.create(
        body=world["council"], title="Un compromiso del Perú", rule="reported"
    )
    other.responsible_organizations.set([world["peru"]])

    not_his = _draft(api(marco), other, organization="gobierno-pe")
    no_role = _draft(api(carlos), world["reported"])
    meetings_rule = _draft(api(marco), world["yearly"])

    assert not_his.status_code == 403
    assert no_role.status_code == 403
    assert (meetings_rule.status_code, meetings_rule.json()["field"]) == (400, "commitment")
    assert not CommitmentUpdate.objects.exists()


def test_a_draft_is_seen_by_its_reporter_and_the_secretariat_only(api, world, sonia, marco, carlos):
    pk = _draft(api(marco), world["reported"]).json()["id"]

    seen = {
        name: [u["id"] for u in api(user).get(UPDATES).json()["results"]]
        for name, user in (("marco", marco), ("sonia", sonia), ("carlos", carlos), ("anon", None))
    }

    assert seen == {"marco": [pk], "sonia": [pk], "carlos": [], "anon": []}


# ---------------------------------------------------------------- computed states


def test_a_commitments_state_is_computed_on_the_day_asked(api, world, sonia, marco):
    client = api()
    url = f"{COMMITMENTS}{world['reported'].pk}/"

    before_due = client.get(url, {"as_of": "2016-06-30"}).json()
    after_due = client.get(url, {"as_of": "2017-01-15"}).json()
    pk = _draft(api(marco), world["reported"]).json()["id"]
    _act(api(marco), pk, "submit")
    _act(api(sonia), pk, "approve")  # done on 2017-03-01, after its due date
    not_yet_done = client.get(url, {"as_of": "2017-02-01"}).json()
    done = client.get(url, {"as_of": "2017-06-30"}).json()

    assert (before_due["state"], before_due["late"]) == ("open", False)
    assert (after_due["state"], after_due["late"]) == ("overdue", True)
    assert before_due["periods"] is None and before_due["meetings"] == []
    assert (not_yet_done["state"], not_yet_done["late"]) == ("overdue", True)
    assert (done["state"], done["late"]) == ("done_late", False)


def test_a_commitment_met_by_meetings_shows_its_periods(api, world):
    client = api()
    url = f"{COMMITMENTS}{world['yearly'].pk}/"

    in_2016 = client.get(url, {"as_of": "2016-06-30"}).json()
    in_2017 = client.get(url, {"as_of": "2017-01-15"}).json()

    assert (in_2016["state"], in_2016["late"]) == ("on_track", False)
    assert in_2016["periods"] == [
        {"start": "2015-01-01", "end": "2015-12-31", "events": 1, "state": "met"},
        {"start": "2016-01-01", "end": "2016-12-31", "events": 0, "state": "in_course"},
    ]
    assert in_2016["meetings"] == [world["meeting"].pk]
    assert (in_2017["state"], in_2017["late"]) == ("missed", True)
    assert [p["state"] for p in in_2017["periods"]] == ["met", "missed", "in_course"]


def test_the_board_lists_late_commitments_first_and_filters_by_state(api, world):
    client = api()
    on_time = Commitment.objects.create(
        body=world["table"], title="Sin plazo", rule="reported", status="in_progress"
    )

    board = client.get(COMMITMENTS, {"as_of": "2017-01-15"}).json()
    late = client.get(COMMITMENTS, {"as_of": "2017-01-15", "late": "1"}).json()
    not_late = client.get(COMMITMENTS, {"as_of": "2017-01-15", "late": "0"}).json()
    missed = client.get(COMMITMENTS, {"as_of": "2017-01-15", "state": "missed"}).json()
    chile = client.get(COMMITMENTS, {"responsible": "gobierno-cl"}).json()
    table = client.get(COMMITMENTS, {"body": "mesa-nacional"}).json()
    early = client.get(COMMITMENTS, {"as_of": "2015-06-30", "late": "1"}).json()

    assert [c["late"] for c in board["results"]] == [True, True, False]
    assert board["results"][-1]["id"] == on_time.pk
    assert {c["id"] for c in late["results"]} == {world["reported"].pk, world["yearly"].pk}
    assert [c["id"] for c in not_late["results"]] == [on_time.pk]
    assert [c["id"] for c in missed["results"]] == [world["yearly"].pk]
    assert [c["id"] for c in chile["results"]] == [world["reported"].pk]
    assert [c["id"] for c in table["results"]] == [on_time.pk]
    assert early["count"] == 0


def test_a_bad_as_of_is_a_400_naming_it(api, world):
    response = api().get(COMMITMENTS, {"as_of": "ayer"})

    assert (response.status_code, response.json()["field"]) == (400, "as_of")


# ---------------------------------------------------------------- the loaded source data


@pytest.fixture
def loaded(db):
    from limpia.network.loader import load_network
    from limpia.plans.loader import load_plans, plan_files

    load_plans([p for p in plan_files() if p.name.startswith(("pa-", "cl-"))])
    load_network()


def test_the_councils_commitments_from_the_source_data(api, loaded):
    client = api()
    council = client.get(f"{BODIES}consejo-expertos-cps-alc/").json()
    fifth = Commitment.objects.get(title__startswith="Realizar la V Reunión")
    url = f"{COMMITMENTS}{fifth.pk}/"

    in_2009 = client.get(url, {"as_of": "2009-06-30"}).json()
    in_2010 = client.get(url, {"as_of": "2010-06-30"}).json()
    board = client.get(COMMITMENTS, {"body": "consejo-expertos-cps-alc", "as_of": "2010-06-30"})

    assert council["kind"] == "council" and council["parent"] == "foro-ministros-medio-ambiente-alc"
    assert len(council["composition"]) >= 10
    assert council["focal_points"]
    assert all(p["person_name"] == "" for p in council["focal_points"])
    assert (in_2009["state"], in_2010["state"]) == ("open", "overdue")
    results = board.json()["results"]
    lates = [c["late"] for c in results]
    assert lates == sorted(lates, reverse=True) and lates[0] is True


# ---------------------------------------------------------------- a fixed number of queries


def _grow(world, size):
    """`size` more councils like the test's, each with a membership, a focal point, a meeting
    with agenda and participation, a decision, two commitments and an approved update."""
    chile = world["chile"]
    for n in range(size):
        body = Body.objects.create(
            key=f"consejo-{n}", name=f"Consejo {n}", kind="council", scope="region"
        )
        Membership.objects.create(body=body, organization=chile, seat=f"Asiento {n}")
        FocalPoint.objects.create(body=body, country_id="CL", organization=chile)
        meeting = Meeting.objects.create(
            body=body,
            name=f"Reunión {n}",
            starts_on=dt.date(2015, 1, 1 + n),
            ends_on=dt.date(2015, 1, 1 + n),
        )
        AgendaItem.objects.create(meeting=meeting, title="Apertura")
        Participation.objects.create(meeting=meeting, kind="ngo", organization=chile, count=1)
        decision = Decision.objects.create(meeting=meeting, number="1", kind="agreement", text="X")
        reported = Commitment.objects.create(
            body=body, decision=decision, title=f"Informe {n}", rule="reported"
        )
        reported.responsible_organizations.set([chile, world["peru"]])
        Commitment.objects.create(
            body=body,
            title=f"Reunirse {n}",
            rule="meetings",
            tracked_body=body,
            starts_on=dt.date(2015, 1, 1),
            every_months=12,
        )
        CommitmentUpdate.objects.create(
            commitment=reported,
            organization=chile,
            date=dt.date(2016, 1, 1),
            reported_status="in_progress",
            text="Avanza",
            status="approved",
        )


# The public cache's data revision, then: count, page and each prefetch.
LIST_QUERIES = {
    BODIES: 5,  # + current memberships, focal points
    MEMBERSHIPS: 3,
    FOCAL_POINTS: 3,
    MEETINGS: 6,  # + agenda, participation, documents
    DECISIONS: 3,
    COMMITMENTS: 8,  # + the commitments met by meetings and their bodies' meetings; responsible
    UPDATES: 3,
}


@pytest.mark.parametrize("size", [1, 6])
@pytest.mark.parametrize("url", list(LIST_QUERIES))
def test_lists_run_a_fixed_number_of_queries(api, world, size, url, django_assert_num_queries):
    _grow(world, size)
    client = api()

    with django_assert_num_queries(LIST_QUERIES[url]):
        response = client.get(url)

    assert response.status_code == 200
    assert response.json()["count"] >= size


@pytest.mark.parametrize("size", [1, 6])
def test_the_secretariats_update_list_runs_a_fixed_number_of_queries(
    api, world, sonia, size, django_assert_num_queries
):
    _grow(world, size)
    client = api(sonia)

    with django_assert_num_queries(3):  # her roles, count, page
        response = client.get(UPDATES)

    assert response.json()["count"] == size
