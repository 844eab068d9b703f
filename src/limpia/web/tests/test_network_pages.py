"""The network's public pages, as an anonymous visitor and a staff user see them: the directory,
a body's composition on a day and its history, the IV meeting as the source tells it, the
commitments board across `as_of` dates, the iCalendar feed and the exports; fixed numbers of
queries at two data sizes.

Assertions are on data values, numbers, URLs and data-* attributes, not on translated labels
(the pages render in Spanish, and their strings are translated later)."""
# ruff: noqa: F811

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from limpia.core.models import Organization, Subregion
from limpia.knowledge.models import Document
from limpia.network.models import (
    AgendaItem,
    Body,
    Commitment,
    Decision,
    FocalPoint,
    Meeting,
    Participation,
)
from limpia.network.tests.conftest import network  # noqa: F401
from limpia.plans.models import Indicator, Node
from limpia.web.network_views import ical_fold, ical_text

YEARLY = "Reunir al Comité Directivo al menos una vez al año."
FIFTH = "Realizar la V Reunión del Consejo en 2009, antes de la XVII Reunión del Foro de Ministros."
STEERING = "comite-directivo-consejo-cps-alc"
COUNCIL = "consejo-expertos-cps-alc"


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("sara", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _rows(html: str, attribute: str) -> dict[str, str]:
    """The table rows carrying `attribute`, by its value: {value: the row's HTML}."""
    pattern = rf'<tr {attribute}="([^"]+)"([^>]*>.*?)</tr>'
    return {value: row for value, row in re.findall(pattern, html, re.S)}


def _section(html: str, start: str, end: str | None = None) -> str:
    part = html.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part


def _yearly_row(html: str) -> str:
    rows = [row for row in re.findall(r"<tr data-commitment=.*?</tr>", html, re.S) if YEARLY in row]
    assert len(rows) == 1
    return rows[0]


# ---------------------------------------------------------------- directory


def test_the_directory_lists_and_filters_bodies(client, network):
    url = reverse("network:directory")
    page = _text(client.get(url))
    rows = _rows(page, "data-body")
    assert {STEERING, COUNCIL, "secretaria-interinstitucional-pml"} <= set(rows)
    steering = rows[STEERING]
    assert "Comité Directivo" in steering  # its acronym
    assert reverse("network:body", args=[COUNCIL]) in steering  # its parent
    assert "text-bg-secondary" in rows["secretaria-interinstitucional-pml"]  # to be established

    def keys(**params):
        return set(_rows(_text(client.get(url, params)), "data-body"))

    assert keys(kind="forum") == {"foro-ministros-medio-ambiente-alc"}
    assert keys(country="CL") == {"consejo-nacional-produccion-limpia", "consejo-directivo-cpl"}
    assert keys(country="cl") == keys(country="CL")
    assert keys(scope="country", country="PA") == {
        "secretaria-interinstitucional-pml",
        "mesa-publico-privada-pml",
    }
    assert STEERING in keys(scope="region") and "consejo-directivo-cpl" not in keys(scope="region")
    assert keys(q="Mesa público") == {"mesa-publico-privada-pml"}
    assert keys(q="CPL") == {"consejo-nacional-produccion-limpia", "consejo-directivo-cpl"}
    # Panamá is in Mesoamérica: its bodies by country, and a body seated for the subregion
    Body.objects.create(
        key="mesa-mesoamerica",
        name="Mesa subregional",
        kind="round_table",
        scope="subregion",
        subregion=Subregion.objects.get(key="mesoamerica"),
    )
    assert keys(subregion="mesoamerica") == {
        "secretaria-interinstitucional-pml",
        "mesa-publico-privada-pml",
        "mesa-mesoamerica",
    }
    assert keys(kind="not-a-kind") == keys()  # an unknown choice filters nothing
    assert client.post(url).status_code == 405


def test_the_directory_pages_and_flags_sample_data(client, network):
    Body.objects.bulk_create(
        Body(key=f"mesa-{n:03}", name=f"Mesa {n:03}", kind="round_table", scope="region")
        for n in range(60)
    )
    Body.objects.filter(key="mesa-000").update(is_sample=True)
    url = reverse("network:directory")
    first = _text(client.get(url, {"kind": "round_table"}))
    second = _text(client.get(url, {"kind": "round_table", "page": 2}))
    first_keys, second_keys = set(_rows(first, "data-body")), set(_rows(second, "data-body"))
    assert len(first_keys) == 50 and len(second_keys) == 11  # 60 and Panamá's mesa
    assert not first_keys & second_keys
    assert "?kind=round_table&amp;page=2" in first  # the filter is kept in the pager
    assert "sample-flag" in _rows(first, "data-body")["mesa-000"]
    assert "sample-flag" not in _rows(first, "data-body")["mesa-001"]


# ---------------------------------------------------------------- a body


def test_the_steering_committee_on_a_day_and_its_history(client, network):
    url = reverse("network:body", args=[STEERING])
    page = _text(client.get(url, {"as_of": "2008-01-01"}))
    current = _section(page, 'id="composition"', 'id="history"')
    history = _section(page, 'id="history"', 'id="meetings"')
    roles = {
        org: role
        for role, row in re.findall(r'data-role="(\w+)">(.*?)</tr>', current, re.S)
        for org in ("Panamá", "República Dominicana", "Trinidad y Tobago", "Ecuador", "Brasil")
        if f"Gobierno de {org}" in row
    }
    assert roles == {
        "Panamá": "titular",
        "República Dominicana": "alternate",
        "Trinidad y Tobago": "coordinator",
        "Ecuador": "coordinator",
        "Brasil": "coordinator",
    }
    trinidad = next(r for r in current.split("<tr ") if "Gobierno de Trinidad y Tobago" in r)
    assert "Ad referéndum" in trinidad
    iv = Meeting.objects.get(key="iv-reunion")
    assert reverse("network:meeting", args=[iv.pk]) in trinidad  # elected at the IV meeting
    for name in ("Gobierno de Nicaragua", "Gobierno del Perú", "Gobierno de Argentina"):
        assert name not in current and name in history
    assert 'data-term-end="2007-10-19"' in history  # grouped by the end of their term
    assert "Gobierno de Trinidad y Tobago" in history  # its earlier term, for the Caribbean
    # before the IV meeting, the committee elected in Nicaragua
    before = _section(_text(client.get(url, {"as_of": "2007-06-01"})), 'id="composition"')
    before = before.split('id="later"')[0]
    assert "Gobierno de Nicaragua" in before and "Gobierno de Panamá" not in before
    assert client.get(reverse("network:body", args=["no-existe"])).status_code == 404
    assert client.post(url).status_code == 405


def test_a_body_shows_what_it_is_and_links_its_feeds(client, network):
    council = network[COUNCIL]
    page = _text(client.get(reverse("network:body", args=[COUNCIL]), {"as_of": "2008-06-01"}))
    assert council.founding_act in page and council.description in page
    assert 'data-founded="2005-11-25"' in page
    assert "párr. 58" in page  # its source reference
    assert reverse("network:body", args=["foro-ministros-medio-ambiente-alc"]) in page  # parent
    assert f'data-child="{STEERING}"' in page
    assert "PNUMA/ORPALC" in page  # the host
    assert reverse("network:calendar", args=[COUNCIL]) in page
    assert reverse("network:commitments_export", args=[COUNCIL, "xlsx"]) + "?as_of=2008-06-01" in (
        page
    )
    assert reverse("network:commitments_export", args=[COUNCIL, "csv"]) in page
    iv = Meeting.objects.get(key="iv-reunion")
    assert f'data-meeting="{iv.pk}"' in page
    commitments = _rows(page, "data-commitment")
    assert len(commitments) == Commitment.objects.filter(body=council).count()


def test_notes_are_for_staff_and_people_only_with_consent(client, staff, network):
    url = reverse("network:body", args=[COUNCIL])
    note = network[COUNCIL].note
    anonymous, for_staff = _text(client.get(url)), _text(staff.get(url))
    assert note not in anonymous and "data-staff-note" not in anonymous
    assert note in for_staff
    assert "Punto Focal CPS" in anonymous  # focal points: organization and position
    assert "data-person" not in anonymous
    focal = FocalPoint.objects.filter(body=network[COUNCIL]).first()
    FocalPoint.objects.filter(pk=focal.pk).update(
        person_name="Persona Consentida", contact="persona@example.org", consent_on=dt.date.today()
    )
    page = _text(client.get(url))
    assert "Persona Consentida" in page and "persona@example.org" in page
    iv = Meeting.objects.get(key="iv-reunion")
    meeting_url = reverse("network:meeting", args=[iv.pk])
    assert "Se registra como reunión extendida" not in _text(client.get(meeting_url))
    assert "Se registra como reunión extendida" in _text(staff.get(meeting_url))


# ---------------------------------------------------------------- a meeting


def test_the_iv_meeting_as_the_source_tells_it(client, network):
    meeting = Meeting.objects.get(key="iv-reunion")
    page = _text(client.get(reverse("network:meeting", args=[meeting.pk])))
    counts = {
        kind: int(re.search(r'<td class="text-end">(\d+)</td>', row).group(1))
        for kind, row in _rows(page, "data-kind").items()
    }
    assert counts == {
        "government": 24,
        "ngo": 12,
        "cp_centre": 5,
        "business_union": 6,
        "academia": 7,
        "bank_cooperation": 2,
        "local": 7,
        "international": 10,
    }
    assert "12 ONG de 6 países" in page  # the source's wording
    total = re.search(r"<tr [^>]*data-total>.*?</tr>", page, re.S).group(0)
    assert '<td class="text-end">85</td>' in total
    assert "73" in total  # the counts by kind add up to less than the total
    decisions = re.findall(r'data-decision="([^"]+)" data-decision-kind="(\w+)"', page)
    assert [n for n, _kind in decisions if n.startswith("60 ")] == [f"60 {x}" for x in "abcdefg"]
    assert [n for n, kind in decisions if kind == "recommendation"] == list("1234567")
    assert "Los miembros del Comité Directivo deberá luego elegir su Presidente;" in page
    assert "Aprobar el Plan de Acción en Consumo y Producción Sustentable (CPS)" in page
    assert reverse("network:body", args=["foro-ministros-medio-ambiente-alc"]) in page
    agenda = re.findall(r'<tr data-agenda-item="\d+">', page)
    assert len(agenda) == meeting.agenda.count() == 23
    assert "Panel 1: Progreso y Actividades en el Proceso de Marrakech" in page
    participants = _rows(page, "data-participant")
    assert len(participants) == meeting.participation.filter(organization__isnull=False).count()
    assert len(participants) > 0
    assert "Sao Paulo, Brasil" in page and "párr. 1, 14, 17" in page
    assert "004_784fad76bf69b00c" not in page  # no source file names
    assert "data-staff-note" not in page
    # the commitments of its decisions with their state on the day
    yearly = _yearly_row(_text(client.get(page_url(meeting), {"as_of": "2009-06-01"})))
    assert 'data-state="missed"' in yearly
    assert client.get(reverse("network:meeting", args=[999999])).status_code == 404


def page_url(meeting) -> str:
    return reverse("network:meeting", args=[meeting.pk])


def test_a_meeting_shows_only_published_documents(client, network):
    meeting = Meeting.objects.get(key="iv-reunion")
    published = Document.objects.create(
        kind="study", title="Informe final publicado", link="https://example.org/a"
    )
    Document.objects.filter(pk=published.pk).update(status="published")
    draft = Document.objects.create(
        kind="study", title="Borrador interno", link="https://example.org/b"
    )
    meeting.documents.add(published, draft)
    page = _text(client.get(page_url(meeting)))
    assert f'data-document="{published.pk}"' in page
    assert reverse("knowledge:detail", args=[published.pk]) in page
    assert "Borrador interno" not in page


# ---------------------------------------------------------------- the board


def test_the_board_computes_states_on_the_day(client, network):
    url = reverse("network:commitments")
    yearly_2009 = _yearly_row(_text(client.get(url, {"as_of": "2009-06-01"})))
    assert 'data-state="missed"' in yearly_2009  # no steering committee meeting in 2008
    assert re.findall(r'data-period="(\w+)"', yearly_2009) == ["missed", "in_course"]
    assert "2008" in yearly_2009 and "2009" in yearly_2009
    yearly_2008 = _yearly_row(_text(client.get(url, {"as_of": "2008-06-01"})))
    assert 'data-state="on_track"' in yearly_2008
    assert re.findall(r'data-period="(\w+)"', yearly_2008) == ["in_course"]
    iv = Meeting.objects.get(key="iv-reunion")
    assert reverse("network:meeting", args=[iv.pk]) in yearly_2008  # its decision's meeting
    assert reverse("network:body", args=[STEERING]) in yearly_2008

    def titles(**params):
        page = _text(client.get(url, params))
        return [
            c.title
            for c in Commitment.objects.filter(
                pk__in=[int(pk) for pk in _rows(page, "data-commitment")]
            )
        ]

    assert YEARLY in titles(as_of="2009-06-01", state="missed")
    assert YEARLY not in titles(as_of="2008-06-01", state="missed")
    assert YEARLY in titles(as_of="2008-06-01", state="on_track")
    late = titles(as_of="2010-06-01", late="1")
    assert FIFTH in late  # no V meeting recorded
    assert "Elegir el Presidente del Comité Directivo." not in late  # no due date
    everything = _text(client.get(url, {"as_of": "2010-06-01"}))
    assert everything.index("Realizar la V Reunión") < everything.index("Elegir el Presidente")
    steering = titles(body=STEERING)
    assert set(steering) == set(
        Commitment.objects.filter(body=network[STEERING]).values_list("title", flat=True)
    )
    assert titles(body="no-existe") == []
    # an unreadable day shows today's states and says so
    response = client.get(url, {"as_of": "no-es-fecha"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()


def test_the_board_filters_by_responsible_organization_and_pages(client, network):
    council = network[COUNCIL]
    ministry = Organization.objects.create(
        key="minamb-x", name="Ministerio X", kind="public_agency"
    )
    other = Organization.objects.create(key="minamb-y", name="Ministerio Y", kind="public_agency")
    mine = Commitment.objects.create(
        body=council, title="Compromiso del ministerio", rule="reported"
    )
    mine.responsible_organizations.add(ministry, other)
    url = reverse("network:commitments")
    page = _text(client.get(url, {"responsible": "minamb-x"}))
    assert list(_rows(page, "data-commitment")) == [str(mine.pk)]
    assert 'value="minamb-x"' in _text(client.get(url))  # offered as a filter
    Commitment.objects.bulk_create(
        Commitment(
            body=council, title=f"Compromiso {n}", rule="reported", due_on=dt.date(2009, 1, 1)
        )
        for n in range(55)
    )
    total = Commitment.objects.count()
    first = _rows(_text(client.get(url, {"as_of": "2009-06-01"})), "data-commitment")
    second = _rows(_text(client.get(url, {"as_of": "2009-06-01", "page": 2})), "data-commitment")
    assert len(first) == 50 and len(first) + len(second) == total
    late = [re.search(r'data-state="(\w+)"', row).group(1) for row in first.values()]
    assert set(late) == {"overdue"}  # late first, by due date
    rest = [re.search(r'data-state="(\w+)"', row).group(1) for row in second.values()]
    late_flags = [state in ("overdue", "missed") for state in rest]
    assert late_flags == sorted(late_flags, reverse=True) and "missed" in rest


# ---------------------------------------------------------------- iCalendar


def _unfold(text: str) -> list[str]:
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    raw = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in raw)
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def _events(lines: list[str]) -> list[dict[str, str]]:
    """The VEVENTs of an unfolded calendar, each {name with parameters: value}."""
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events, current = [], None
    for line in lines[1:-1]:
        name, value = line.split(":", 1)
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            current[name] = value
    assert current is None
    return events


def test_ical_escapes_and_folds():
    assert ical_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "Reunión ñandú " * 20
    folded = ical_fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line


def test_the_calendar_lists_upcoming_meetings(client, network):
    council, steering = network[COUNCIL], network[STEERING]
    soon = timezone.localdate() + dt.timedelta(days=30)
    later = soon + dt.timedelta(days=40)
    long_name = "Videoconferencia del Comité Directivo; con coma, y punto — " + "ñ" * 60
    call = Meeting.objects.create(
        body=steering,
        name=long_name,
        kind="virtual",
        is_virtual=True,
        status="scheduled",
        starts_on=soon,
        ends_on=soon,
    )
    fifth = Meeting.objects.create(
        body=council,
        number=5,
        name="V Reunión del Consejo",
        kind="extended",
        status="scheduled",
        starts_on=later,
        ends_on=later + dt.timedelta(days=1),
        place="Ciudad de Panamá, Panamá",
    )
    Meeting.objects.create(
        body=council, name="Cancelada", status="cancelled", starts_on=soon, ends_on=soon
    )
    Meeting.objects.create(
        body=network["consejo-nacional-produccion-limpia"],
        name="Otra",
        status="scheduled",
        starts_on=soon,
        ends_on=soon,
    )
    response = client.get(reverse("network:calendar", args=[council.key]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = _events(_unfold(response.content.decode("utf-8")))
    assert [e["UID"] for e in events] == [f"meeting-{call.pk}@limpia", f"meeting-{fifth.pk}@limpia"]
    first, second = events
    assert first["SUMMARY"] == ical_text(long_name)
    assert first["SUMMARY"].startswith("Videoconferencia del Comité Directivo\\; con coma\\, y")
    assert first["DTSTART;VALUE=DATE"] == f"{soon:%Y%m%d}"
    assert first["DTEND;VALUE=DATE"] == f"{soon + dt.timedelta(days=1):%Y%m%d}"  # exclusive
    assert re.fullmatch(r"\d{8}T\d{6}Z", first["DTSTAMP"])
    assert first["URL"].endswith(reverse("network:meeting", args=[call.pk]))
    assert second["DTEND;VALUE=DATE"] == f"{later + dt.timedelta(days=2):%Y%m%d}"
    assert second["LOCATION"] == "Ciudad de Panamá\\, Panamá"
    # the same UID on another day; the steering committee's own feed has only its meeting
    again = _events(
        _unfold(client.get(reverse("network:calendar", args=[council.key])).content.decode())
    )
    assert [e["UID"] for e in again] == [e["UID"] for e in events]
    own = _events(
        _unfold(client.get(reverse("network:calendar", args=[STEERING])).content.decode())
    )
    assert [e["UID"] for e in own] == [f"meeting-{call.pk}@limpia"]
    assert client.get(reverse("network:calendar", args=["no-existe"])).status_code == 404


# ---------------------------------------------------------------- exports


def test_the_commitments_export_as_xlsx_and_csv(client, network):
    council = network[COUNCIL]
    expected = Commitment.objects.filter(body=council).count()
    url = reverse("network:commitments_export", args=[council.key, "xlsx"])
    xlsx = client.get(url, {"as_of": "2010-06-01"})
    assert xlsx.status_code == 200
    assert (
        "attachment" in xlsx["Content-Disposition"]
        and "2010-06-01" in (xlsx["Content-Disposition"])
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[0] == "commitment" and len(rows) == expected + 1
    by_title = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    fifth = by_title[FIFTH]
    assert fifth["state"] == "overdue" and fifth["decision"] == "60 d"
    assert fifth["due_on"].date() == dt.date(2009, 12, 31)
    assert fifth["meeting"] == "IV Reunión del Consejo Regional de Expertos de Gobierno en CPS"
    assert fifth["source_ref"] == "párr. 60 d); 71 d) iii)"
    biennial = by_title["Realizar reuniones extendidas del Consejo cada dos años."]
    assert biennial["state"] == "missed" and biennial["every_months"] == 24
    assert biennial["periods"].startswith("2008–2009: missed")
    csv = client.get(reverse("network:commitments_export", args=[council.key, "csv"]))
    assert csv["Content-Type"].startswith("text/csv")
    lines = [line for line in csv.content.decode("utf-8-sig").splitlines() if line]
    assert len(lines) == expected + 1 and lines[0].startswith("commitment,body,state")
    assert (
        client.get(reverse("network:commitments_export", args=[council.key, "pdf"])).status_code
        == 404
    )
    assert (
        client.get(reverse("network:commitments_export", args=["no-existe", "csv"])).status_code
        == 404
    )


# ---------------------------------------------------------------- queries


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def _grow(network, n: int, offset: int) -> None:
    """More of everything the lists show: bodies, commitments (reported, met by meetings, with
    responsible organizations), meetings with agenda, participation and decisions."""
    council, steering = network[COUNCIL], network[STEERING]
    meeting = Meeting.objects.get(key="iv-reunion")
    organization = Organization.objects.create(
        key=f"org-{offset}", name=f"Organización {offset}", kind="ngo", country_id="BR"
    )
    for i in range(offset, offset + n):
        Body.objects.create(
            key=f"mesa-{i}",
            name=f"Mesa {i}",
            kind="round_table",
            scope="country",
            country_id="CL",
            parent=council,
        )
        decision = Decision.objects.create(
            meeting=meeting, number=f"x{i}", position=100 + i, kind="agreement", text=f"Acuerdo {i}"
        )
        reported = Commitment.objects.create(
            body=council,
            decision=decision,
            title=f"Compromiso {i}",
            rule="reported",
            due_on=dt.date(2009, 1, 1),
            responsible_body=steering,
        )
        reported.responsible_organizations.add(organization)
        reported.nodes.add(*Node.objects.filter(plan__slug__startswith="pa-")[i % 5 : i % 5 + 2])
        reported.indicators.add(*Indicator.objects.filter(plan__slug__startswith="pa-")[:2])
        Commitment.objects.create(
            body=council,
            decision=decision,
            title=f"Reunirse {i}",
            rule="meetings",
            tracked_body=steering,
            starts_on=dt.date(2008, 1, 1),
            every_months=6,
        )
        Meeting.objects.create(
            body=council if i % 2 else steering,
            name=f"Reunión {i}",
            status="scheduled" if i % 3 else "held",
            starts_on=timezone.localdate() + dt.timedelta(days=i),
            ends_on=timezone.localdate() + dt.timedelta(days=i),
        )
        AgendaItem.objects.create(meeting=meeting, position=100 + i, title=f"Punto {i}")
        org = Organization.objects.create(key=f"p-{i}", name=f"Participante {i}", kind="ngo")
        Participation.objects.create(meeting=meeting, kind="ngo", organization=org, count=1)


# directory, filtered directory, board, filtered board, council, steering committee, IV meeting,
# calendar, xlsx, csv (an anonymous visitor: no session query)
QUERIES = [4, 4, 10, 9, 13, 13, 14, 2, 7, 7]


def test_every_page_runs_a_fixed_number_of_queries(client, network):
    council = network[COUNCIL]
    iv = Meeting.objects.get(key="iv-reunion")
    pages = [
        (reverse("network:directory"), {}),
        (reverse("network:directory"), {"country": "CL", "q": "Mesa"}),
        (reverse("network:commitments"), {"as_of": "2009-06-01"}),
        (reverse("network:commitments"), {"responsible": "org-0", "late": "1"}),
        (reverse("network:body", args=[council.key]), {}),
        (reverse("network:body", args=[STEERING]), {"as_of": "2008-01-01"}),
        (reverse("network:meeting", args=[iv.pk]), {"as_of": "2009-06-01"}),
        (reverse("network:calendar", args=[council.key]), {}),
        (reverse("network:commitments_export", args=[council.key, "xlsx"]), {}),
        (reverse("network:commitments_export", args=[council.key, "csv"]), {}),
    ]
    _grow(network, 3, 0)
    small = [_count(client, url, params) for url, params in pages]
    _grow(network, 12, 100)
    assert [_count(client, url, params) for url, params in pages] == small
    assert small == QUERIES, small
