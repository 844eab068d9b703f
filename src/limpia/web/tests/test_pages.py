"""Public pages, the data-entry workspace and the back office, through the real templates."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from limpia.core.models import Organization
from limpia.plans.models import Indicator, Measurement, Node, NodeResponsibility, Plan

PLAN = "/plans/plan-prueba/"
AS_OF = "2022-12-31"


def node_link(code, slug="plan-prueba"):
    return f'href="/plans/{slug}/nodes/{code}/'


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def approve(code, value, date=dt.date(2022, 7, 2)):
    return Measurement.objects.create(
        indicator=Indicator.objects.get(code=code), date=date, value=value, status="approved"
    )


def big_plan(plan_builder, slug="plan-grande"):
    """5 top nodes × 4 children × 3 grandchildren, each grandchild with a measured indicator."""
    nodes = [
        {
            "code": f"{a}",
            "children": [
                {
                    "code": f"{a}.{b}",
                    "children": [
                        {
                            "code": f"{a}.{b}.{c}",
                            "indicators": [
                                {
                                    "code": f"I{a}.{b}.{c}",
                                    "name": f"Indicador {a}.{b}.{c}",
                                    "kind": "quantity",
                                    "targets": [("100", dt.date(2024, 12, 31))],
                                }
                            ],
                        }
                        for c in range(1, 4)
                    ],
                }
                for b in range(1, 5)
            ],
        }
        for a in range(1, 6)
    ]
    plan = plan_builder(slug=slug, nodes=nodes)
    for indicator in Indicator.objects.filter(plan=plan):
        for month in (3, 6):
            Measurement.objects.create(
                indicator=indicator, date=dt.date(2021, month, 1), value=month, status="approved"
            )
    return plan


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- public pages ---------------------------------------------------------------------------


def test_it_lists_published_plans_on_the_home_page(plan, client):
    html = page(client, "/")

    assert "Plan plan-prueba" in html
    assert 'href="/plans/plan-prueba/' in html
    assert "Chile" in html


def test_it_shows_the_plan_tree_on_the_plan_page(plan, client):
    html = page(client, PLAN, as_of=AS_OF)

    assert "<h1" in html and "Plan plan-prueba" in html
    for code in ("1", "1.1", "1.2", "2"):
        assert node_link(code) in html
    assert "Empresas adheridas" in html
    assert "Guía publicada" in html
    assert "Percepción" in html
    assert "MINAMB" in html


def test_it_shows_a_node_with_its_indicators(plan, client):
    html = page(client, "/plans/plan-prueba/nodes/1.1/", as_of=AS_OF)

    assert "Elemento 1.1" in html
    assert "Empresas adheridas" in html
    assert "Guía publicada" not in html
    assert "Ministerio de Ambiente" in html


def test_it_shows_an_indicator_with_its_value_and_target(plan, client):
    approve("I1", 50)

    html = page(client, "/plans/plan-prueba/indicators/I1/", as_of=AS_OF)

    assert "Empresas adheridas" in html
    assert "50 empresas" in html
    assert "50,0 %" in html  # progress, Spanish decimal comma
    assert 'src="/plans/plan-prueba/indicators/I1/chart.svg?as_of=2022-12-31"' in html


def test_it_answers_in_spanish_by_default(plan, client):
    response = client.get(PLAN)

    assert response["Content-Language"] == "es"
    assert 'lang="es"' in response.content.decode()


def test_it_labels_statuses_in_spanish(plan, client):
    approve("I2", 1, date=dt.date(2022, 6, 1))

    plan_html = page(client, PLAN, as_of=AS_OF)
    milestone_html = page(client, "/plans/plan-prueba/indicators/I2/", as_of=AS_OF)

    assert "Sin datos" in plan_html
    assert "Logrado" in milestone_html


def test_it_draws_the_indicator_chart_as_svg(plan, client):
    approve("I1", 50)

    response = client.get("/plans/plan-prueba/indicators/I1/chart.svg", {"as_of": AS_OF})

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert response.content.rstrip().endswith(b"</svg>")


def test_it_has_no_chart_for_a_qualitative_indicator(plan, client):
    assert client.get("/plans/plan-prueba/indicators/I3/chart.svg").status_code == 404


def test_it_narrows_the_tree_by_status(plan, client):
    html = page(client, PLAN, as_of=AS_OF, status="pending")

    assert node_link("1.2") in html  # I2, the milestone, is pending
    assert node_link("1") in html  # its parent stays, to place it
    assert node_link("1.1") not in html  # I1 has no data
    assert node_link("2") not in html
    assert "Empresas adheridas" not in html


def test_it_narrows_the_tree_by_horizon(plan, client):
    Node.objects.filter(plan=plan, code="2").update(horizon="short")

    html = page(client, PLAN, as_of=AS_OF, horizon="short")

    assert node_link("2") in html
    assert node_link("1") not in html
    assert node_link("1.1") not in html


def test_it_narrows_the_tree_by_responsible_organization(plan, ministry, client):
    other = Organization.objects.create(
        key="minsal", name="Ministerio de Salud", acronym="MINSAL", kind="public_agency"
    )
    node_2 = Node.objects.get(plan=plan, code="2")
    NodeResponsibility.objects.filter(node=node_2).update(organization=other)

    html = page(client, PLAN, as_of=AS_OF, responsible="minamb")

    assert node_link("1") in html
    assert node_link("1.1") in html
    assert node_link("2") not in html
    assert "Percepción" not in html

    html = page(client, PLAN, as_of=AS_OF, responsible="minsal")
    assert node_link("2") in html
    assert node_link("1.1") not in html


def test_it_says_so_when_no_element_matches_the_filters(plan, client):
    html = page(client, PLAN, as_of=AS_OF, status="achieved")

    assert node_link("1") not in html
    assert node_link("2") not in html
    assert "Ningún elemento coincide con estos filtros." in html


def test_it_does_not_say_nothing_matches_without_filters(plan, client):
    assert "Ningún elemento coincide" not in page(client, PLAN, as_of=AS_OF)


@pytest.mark.parametrize(
    "url", ["/", PLAN, "/plans/plan-prueba/nodes/1/", "/plans/plan-prueba/indicators/I1/"]
)
def test_it_shows_a_message_for_a_bad_as_of(plan, client, url):
    response = client.get(url, {"as_of": "yesterday"})

    assert response.status_code == 200
    alert = re.search(
        r'<div class="alert[^"]*" role="alert">(.*?)</div>', response.content.decode()
    )
    assert alert is not None
    assert "as_of" in alert.group(1)
    assert "yesterday" in alert.group(1)


def test_it_hides_draft_plans_from_anonymous_visitors(plan_builder, client):
    plan_builder(
        slug="borrador",
        status="draft",
        nodes=[{"code": "1", "indicators": [{"code": "B1", "name": "X", "kind": "quantity"}]}],
    )

    assert "Plan borrador" not in page(client, "/")
    for url in (
        "/plans/borrador/",
        "/plans/borrador/nodes/1/",
        "/plans/borrador/indicators/B1/",
        "/plans/borrador/indicators/B1/chart.svg",
    ):
        assert client.get(url).status_code == 404, url


def test_it_shows_a_draft_plan_to_its_editor(plan, elena, client):
    Plan.objects.filter(pk=plan.pk).update(status="draft")
    client.force_login(elena)

    assert "Plan plan-prueba" in page(client, PLAN)


# --- query counts ---------------------------------------------------------------------------

# Anonymous visitors: the plans, the data revision, the rollups stored for today; when the data
# have moved since, the plans' indicator counts (they are computed in batches of indicators),
# nodes, responsibilities, indicators, targets and approved measurements of each batch (one
# here), and the rollups replaced (a savepoint, delete, insert, release).
HOME_QUERIES = 13
HOME_QUERIES_STORED = 3
# Anonymous visitors: the plan, how many indicators it has, its tree (5), its subplans.
PLAN_QUERIES = 8


def test_the_home_page_lists_its_plans_a_page_at_a_time(plan, plan_builder, client, monkeypatch):
    from limpia.plans.models import PlanRollup
    from limpia.web import views

    grande = big_plan(plan_builder)
    monkeypatch.setattr(views, "HOME_PLANS_PER_PAGE", 1)
    links = {p.slug: f"/plans/{p.slug}/" for p in (plan, grande)}
    pages = [client.get("/").content.decode()]
    assert PlanRollup.objects.count() == 1  # the page computed and stored its plan only
    pages.append(client.get("/?page=2").content.decode())
    shown = [{slug for slug, link in links.items() if link in page} for page in pages]
    assert shown in ([{plan.slug}, {grande.slug}], [{grande.slug}, {plan.slug}])
    assert "?page=2" in pages[0]  # the pager
    assert PlanRollup.objects.count() == 2


def test_it_renders_the_home_page_in_a_fixed_number_of_queries(plan, plan_builder, client):
    small = count_queries(client, "/")
    big_plan(plan_builder)
    bigger = count_queries(client, "/")
    again = count_queries(client, "/")  # nothing changed: the stored rollups

    assert small == bigger == HOME_QUERIES
    assert again == HOME_QUERIES_STORED


def test_it_renders_the_plan_page_in_a_fixed_number_of_queries(
    plan, plan_builder, client, django_assert_num_queries
):
    big_plan(plan_builder)

    with django_assert_num_queries(PLAN_QUERIES):
        assert client.get(PLAN).status_code == 200
    with django_assert_num_queries(PLAN_QUERIES):
        assert client.get("/plans/plan-grande/").status_code == 200


def test_it_renders_the_plan_page_in_a_fixed_number_of_queries_when_filtered(
    plan, plan_builder, client
):
    big_plan(plan_builder)

    small = count_queries(client, f"{PLAN}?responsible=minamb&horizon=&status=on_track")
    bigger = count_queries(client, "/plans/plan-grande/?responsible=minamb&status=on_track")

    # a filtered page shows the whole tree whatever the plan's size: no count of its indicators
    assert small == bigger == PLAN_QUERIES - 1


# --- workspace and data entry ---------------------------------------------------------------


def test_it_asks_to_log_in_for_the_workspace(client):
    response = client.get("/workspace/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/workspace/" in response["Location"]


def test_it_shows_the_login_page(client, db):
    assert client.get("/accounts/login/").status_code == 200


def test_it_forbids_users_without_a_role_to_record_measurements(plan, carlos, client):
    client.force_login(carlos)
    url = "/plans/plan-prueba/indicators/I1/measurements/new/"

    assert client.get(url).status_code == 403
    post = client.post(url, {"date": "2022-07-02", "value": "50", "submit_now": "on"})
    assert post.status_code == 403
    assert not Measurement.objects.exists()


def test_it_offers_the_recording_button_to_reporters_only(plan, rita, carlos):
    as_rita, as_carlos = Client(), Client()
    as_rita.force_login(rita)
    as_carlos.force_login(carlos)
    new = 'href="/plans/plan-prueba/indicators/I1/measurements/new/"'

    assert new in page(as_rita, "/plans/plan-prueba/indicators/I1/")
    assert new not in page(as_carlos, "/plans/plan-prueba/indicators/I1/")


def test_it_shows_form_errors_on_the_measurement_page(plan, rita, client):
    client.force_login(rita)

    response = client.post(
        "/plans/plan-prueba/indicators/I2/measurements/new/",
        {"date": "2022-07-02", "value": "2", "submit_now": "on"},
    )

    assert response.status_code == 200
    assert 'class="text-danger small"' in response.content.decode()
    assert not Measurement.objects.exists()


def test_it_takes_a_measurement_from_the_reporter_to_the_public_page(plan, rita, rosa):
    indicator_page = "/plans/plan-prueba/indicators/I1/"
    public = Client()
    assert "50 empresas" not in page(public, indicator_page, as_of=AS_OF)

    reporter = Client()
    reporter.force_login(rita)
    form_url = "/plans/plan-prueba/indicators/I1/measurements/new/"
    assert 'name="value"' in page(reporter, form_url)
    saved = reporter.post(
        form_url,
        {"date": "2022-07-02", "value": "50", "comment": "Registro anual", "submit_now": "on"},
    )
    assert saved.status_code == 302
    assert saved["Location"] == indicator_page
    measurement = Measurement.objects.get()
    assert measurement.status == "submitted"
    assert measurement.created_by == rita
    # Submitted is not yet public.
    assert "50 empresas" not in page(public, indicator_page, as_of=AS_OF)

    reviewer = Client()
    reviewer.force_login(rosa)
    workspace = page(reviewer, "/workspace/")
    action = f'action="/workspace/measurements/{measurement.pk}/approve/"'
    assert action in workspace
    approved = reviewer.post(f"/workspace/measurements/{measurement.pk}/approve/")
    assert approved.status_code == 302
    assert approved["Location"] == "/workspace/"
    measurement.refresh_from_db()
    assert measurement.status == "approved"
    assert measurement.reviewed_by == rosa
    assert action not in page(reviewer, "/workspace/")

    html = page(public, indicator_page, as_of=AS_OF)
    assert "50 empresas" in html
    assert "Registro anual" in html
    assert "Aprobado" in html
    assert "Aún no hay mediciones." not in html


def test_it_does_not_let_a_reporter_approve_from_the_workspace(plan, rita, client):
    client.force_login(rita)
    measurement = Measurement.objects.create(
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=50,
        status="submitted",
        created_by=rita,
        submitted_by=rita,
    )

    response = client.post(f"/workspace/measurements/{measurement.pk}/approve/")

    assert response.status_code == 302
    measurement.refresh_from_db()
    assert measurement.status == "submitted"


# --- back office ----------------------------------------------------------------------------


def test_it_lists_plans_in_the_back_office_for_administrators(plan, ana, client):
    client.force_login(ana)

    html = page(client, "/admin/plans/plan/")

    assert "Plan plan-prueba" in html


def test_it_renders_node_pages_in_a_fixed_number_of_queries(plan, plan_builder, client):
    big_plan(plan_builder)
    small = count_queries(client, f"{PLAN}nodes/1/")
    bigger = count_queries(client, "/plans/plan-grande/nodes/1/")
    leaf = count_queries(client, "/plans/plan-grande/nodes/1.1.1/")

    assert small == bigger == leaf


def test_it_renders_indicator_pages_in_a_fixed_number_of_queries(plan, client):
    indicator = Indicator.objects.get(code="I1")
    few = count_queries(client, f"{PLAN}indicators/I1/")
    for day in range(1, 29):
        Measurement.objects.create(
            indicator=indicator, date=dt.date(2021, 2, day), value=day, status="approved"
        )
    many = count_queries(client, f"{PLAN}indicators/I1/")

    assert few == many


def test_it_loads_nothing_from_other_sites(plan, client):
    """No CDN: every script, stylesheet and image comes from this server."""
    import re

    for url in ("/", PLAN, f"{PLAN}nodes/1/", f"{PLAN}indicators/I1/", "/api/v1/docs/"):
        html = page(client, url)
        external = re.findall(r'(?:src|href)="(?:https?:)?//[^"]+"', html)
        assert not external, (url, external)
