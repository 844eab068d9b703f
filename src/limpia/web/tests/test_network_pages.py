"""The network's public pages, as anybody sees them: the directory, a body's composition on a
day and its history, the IV meeting as the source tells it, the commitments board across
`as_of` dates, the iCalendar feed and the exports; fixed numbers of queries."""
# ruff: noqa: F811

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from limpia.network.models import Body, Commitment, Meeting
from limpia.network.tests.conftest import network  # noqa: F401

YEARLY = "Reunir al Comité Directivo al menos una vez al año."


@pytest.fixture
def client():
    return Client()


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_directory_lists_and_filters_bodies(client, network):
    page = _text(client.get(reverse("network:directory")))
    assert "Comité Directivo del Consejo Regional de Expertos de Gobierno en CPS" in page
    assert "Secretaría Interinstitucional de Producción más Limpia" in page
    forums = _text(client.get(reverse("network:directory"), {"kind": "forum"}))
    assert "Foro de Ministros de Medio Ambiente" in forums
    assert "Comité Directivo del Consejo Regional" not in forums
    chile = _text(client.get(reverse("network:directory"), {"country": "CL"}))
    assert "Consejo Nacional de Producción Limpia" in chile
    assert "Foro de Ministros" not in chile
    assert client.post(reverse("network:directory")).status_code == 405


def test_a_body_shows_its_composition_on_a_day_and_its_history(client, network):
    url = reverse("network:body", args=["comite-directivo-consejo-cps-alc"])
    page = _text(client.get(url, {"as_of": "2008-01-01"}))
    current, history = page.split('id="history"')
    for name in ("Gobierno de Panamá", "Gobierno de República Dominicana", "Ad referéndum"):
        assert name in current
    for name in ("Gobierno de Nicaragua", "Gobierno del Perú", "Gobierno de Argentina"):
        assert name not in current and name in history
    before = _text(client.get(url, {"as_of": "2007-06-01"}))
    assert "Gobierno de Nicaragua" in before.split('id="focal-points"')[0].split("Earlier")[0]
    assert client.get(reverse("network:body", args=["no-existe"])).status_code == 404


def test_the_council_page_shows_organizations_not_people(client, network):
    page = _text(client.get(reverse("network:body", args=["consejo-expertos-cps-alc"])))
    assert "Punto Focal CPS" in page
    assert "Frances M. Fuller" not in page and "@" not in page.split("<body")[1].split("</main")[0]


def test_the_iv_meeting_as_the_source_tells_it(client, network):
    meeting = Meeting.objects.get(key="iv-reunion")
    page = _text(client.get(reverse("network:meeting", args=[meeting.pk])))
    assert "85" in page
    for count, kind in ((24, "government"), (12, "ngo"), (10, "international")):
        assert f'data-kind="{kind}"' in page
        assert f'<td class="text-end">{count}</td>' in page
    assert "Los miembros del Comité Directivo deberá luego elegir su Presidente;" in page
    assert "Aprobar el Plan de Acción en Consumo y Producción Sustentable (CPS)" in page
    for letter in "abcdefg":
        assert f"60 {letter}" in page
    assert "Panel 1: Progreso y Actividades en el Proceso de Marrakech" in page
    assert "Transcription note" not in page and "Se registra como reunión extendida" not in page


def test_the_board_computes_states_on_the_day(client, network):
    url = reverse("network:commitments")
    missed_2009 = _text(client.get(url, {"as_of": "2009-06-01", "state": "missed"}))
    assert YEARLY in missed_2009
    missed_2008 = _text(client.get(url, {"as_of": "2008-06-01", "state": "missed"}))
    assert YEARLY not in missed_2008
    on_track = _text(client.get(url, {"as_of": "2008-06-01", "state": "on_track"}))
    assert YEARLY in on_track
    late = _text(client.get(url, {"as_of": "2010-06-01", "late": "1"}))
    assert "Realizar la V Reunión del Consejo en 2009" in late  # no V meeting recorded
    assert "Elegir el Presidente del Comité Directivo" not in late  # no due date
    everything = _text(client.get(url, {"as_of": "2010-06-01"}))
    assert everything.index("Realizar la V Reunión") < everything.index("Elegir el Presidente")
    assert client.get(url, {"as_of": "no-es-fecha"}).status_code in (200, 400)


def test_the_calendar_lists_upcoming_meetings(client, network):
    council = network["consejo-expertos-cps-alc"]
    soon = timezone.localdate() + dt.timedelta(days=30)
    Meeting.objects.create(
        body=network["comite-directivo-consejo-cps-alc"],
        name="Videoconferencia del Comité Directivo; con coma, y punto",
        kind="virtual",
        status="scheduled",
        starts_on=soon,
        ends_on=soon,
    )
    response = client.get(reverse("network:calendar", args=[council.key]))
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "\n" not in text.replace("\r\n", "")
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Videoconferencia del Comité Directivo\\; con coma\\, y punto" in unfolded
    assert f"DTSTART;VALUE=DATE:{soon:%Y%m%d}" in unfolded
    assert unfolded.count("BEGIN:VEVENT") == 1  # the IV meeting is past
    assert all(len(line.encode()) <= 75 for line in lines)


def test_the_commitments_export_as_xlsx_and_csv(client, network):
    council = network["consejo-expertos-cps-alc"]
    expected = Commitment.objects.filter(body=council).count()
    xlsx = client.get(reverse("network:commitments_export", args=[council.key, "xlsx"]))
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "commitment" and len(rows) == expected + 1
    csv = client.get(reverse("network:commitments_export", args=[council.key, "csv"]))
    assert len([line for line in csv.content.decode("utf-8-sig").splitlines() if line]) == (
        expected + 1
    )
    bad = client.get(reverse("network:commitments_export", args=[council.key, "pdf"]))
    assert bad.status_code == 404


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_lists_run_a_fixed_number_of_queries(client, network):
    council = network["consejo-expertos-cps-alc"]
    directory = _count(client, reverse("network:directory"))
    board = _count(client, reverse("network:commitments"), {"as_of": "2009-06-01"})
    body = _count(client, reverse("network:body", args=[council.key]))
    for n in range(12):
        Body.objects.create(
            key=f"mesa-{n}", name=f"Mesa {n}", kind="round_table", scope="country", country_id="CL"
        )
        Commitment.objects.create(
            body=council, title=f"Compromiso {n}", rule="reported", due_on=dt.date(2009, 1, 1)
        )
        Meeting.objects.create(
            body=council,
            name=f"Reunión {n}",
            starts_on=dt.date(2010, 1, 1 + n),
            ends_on=dt.date(2010, 1, 1 + n),
        )
    assert _count(client, reverse("network:directory")) == directory
    assert _count(client, reverse("network:commitments"), {"as_of": "2009-06-01"}) == board
    assert _count(client, reverse("network:body", args=[council.key])) == body
