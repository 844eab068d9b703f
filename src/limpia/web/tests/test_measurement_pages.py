"""A returned measurement is corrected and resubmitted; its page tells who did what and when."""

import datetime as dt

import pytest
from django.test import Client

from limpia.plans import services
from limpia.plans.models import Indicator, Measurement

NEW = "/plans/plan-prueba/indicators/I1/measurements/new/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def returned(plan, rita, rosa):
    measurement = services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=500,
        submit=True,
    )
    return services.measurement_return(
        acting_user=rosa, measurement=measurement, note="El valor parece tener un cero de más."
    )


def test_it_lets_the_reporter_correct_a_returned_measurement_and_resubmit(returned, rita):
    reporter = logged_in(rita)
    edit_url = f"/measurements/{returned.pk}/edit/"
    form = reporter.get(edit_url).content.decode()
    assert "El valor parece tener un cero de más." in form
    assert 'value="500' in form
    response = reporter.post(edit_url, {"date": "2022-07-02", "value": "50", "submit_now": "on"})
    assert response.status_code == 302
    returned.refresh_from_db()
    assert (returned.value, returned.status) == (50, "submitted")


def test_it_shows_who_did_what_in_the_history(returned, rita, rosa):
    html = logged_in(rita).get(f"/measurements/{returned.pk}/").content.decode()
    history = html[html.index("Historial") :]
    assert history.index("rita") < history.index("rosa")
    assert "enviado a revisión" in history
    assert "devuelto" in history


def test_it_lets_the_reviewer_decide_from_the_measurement_page(plan, rita, rosa):
    measurement = services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=50,
        submit=True,
    )
    page = logged_in(rosa).get(f"/measurements/{measurement.pk}/").content.decode()
    assert f'action="/workspace/measurements/{measurement.pk}/approve/"' in page
    assert f"/measurements/{measurement.pk}/edit/" not in page


def test_it_refuses_to_edit_an_approved_measurement(plan, ana, rita):
    measurement = services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=50,
        submit=True,
    )
    services.measurement_approve(acting_user=ana, measurement=measurement)
    response = logged_in(rita).post(
        f"/measurements/{measurement.pk}/edit/", {"date": "2022-07-02", "value": "70"}
    )
    assert response.status_code == 200
    assert "Solo se pueden editar mediciones en borrador o devueltas" in response.content.decode()
    measurement.refresh_from_db()
    assert measurement.value == 50


def test_it_records_a_disaggregated_measurement(plan, rita):
    response = logged_in(rita).post(
        NEW, {"date": "2022-07-02", "value": "12", "disaggregation": "región=CL-RM\ntamaño=micro"}
    )
    assert response.status_code == 302
    assert Measurement.objects.get().disaggregation == {"región": "CL-RM", "tamaño": "micro"}


def test_it_names_the_line_of_a_malformed_disaggregation(plan, rita):
    response = logged_in(rita).post(
        NEW, {"date": "2022-07-02", "value": "12", "disaggregation": "región=CL-RM\nmicro"}
    )
    assert response.status_code == 200
    assert "Línea 2" in response.content.decode()
    assert not Measurement.objects.exists()


def test_it_hides_a_draft_from_people_without_a_role(plan, rita, carlos):
    measurement = services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=5,
    )
    assert logged_in(carlos).get(f"/measurements/{measurement.pk}/").status_code == 404
    assert Client().get(f"/measurements/{measurement.pk}/").status_code == 404
