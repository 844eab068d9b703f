"""OPTIONS on every route of the API, through the real URLs.

Routes and objects are those of the access matrix (limpia.access.tests.test_access_matrix):
every URL under /api/v1/ from the resolver, each object route with the object the personas are
tied to and one they are not ("own" and "other"), asked by the anonymous visitor, ana (an
administrator) and carlos (logged in, no role). No answer may be a server error; one that names
an object is a 404 exactly when GET of that object is a 404 (what one may not see, or what does
not exist); `actions`, the writable fields, are described only to those who may write, and
only where the body is the view's serializer. The same holds for a browser's OPTIONS (the
browsable API's page).
"""
# ruff: noqa: F811  (fixtures are imported, then used as arguments)

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated

from limpia.access.tests.test_access_matrix import (  # noqa: F401
    _kind,
    _kwargs,
    _routes,
    apl,
    audited,
    aurora,
    certificate,
    cora,
    facilities,
    grande,
    lacteos,
    organizations,
    pedro,
    rene,
    world,
)
from limpia.accounts.services import api_token_create

PERSONAS = ("anonymous", "admin", "carlos")
# The routes of the expert's declarations ask `registry.view_expert` of the expert, which the
# rules give to registry staff (administrators) only: a 401 or a 403 for everyone else.
REGISTRY_STAFF = {"api:expert-declaration-relations", "api:expert-declaration-trainings"}


@pytest.fixture
def askers(world, carlos):
    """The personas' clients, and the access matrix's objects with an API token of carlos
    ("own") and one of ana ("other")."""
    ana = world["personas"]["admin"]
    tokens = tuple(
        api_token_create(acting_user=user, user=user, name="script")[0] for user in (carlos, ana)
    )
    clients = {}
    for persona, user in zip(PERSONAS, (None, ana, carlos), strict=True):
        clients[persona] = Client(raise_request_exception=False)
        if user is not None:
            clients[persona].force_login(user)
    return clients, {**world, "token": tokens}


def _api_routes():
    return [route for route in _routes() if route[1].startswith("api/")]


def _sides(name, pattern, objects) -> list[dict]:
    """The URL arguments of the route, once per object it is asked about."""
    if name.startswith("api:api-token-") and "<pk>" in pattern:
        return [{"pk": token.pk} for token in objects["token"]]
    kind = _kind(name, pattern)
    return [_kwargs(name, pattern, kind, obj) for obj in (objects[kind] if kind else (None,))]


def _read_route(callback, names) -> str | None:
    """The route whose GET shows the object this generic route names (its viewset's detail)."""
    initkwargs = getattr(callback, "initkwargs", {})
    if not (issubclass(callback.cls, GenericAPIView) and initkwargs.get("detail")):
        return None
    name = f"api:{initkwargs['basename']}-detail"
    return name if name in names else None


def _login_required(callback) -> bool:
    return any(p is IsAuthenticated for p in callback.cls.permission_classes)


def _expected(name, callback, persona, read_status) -> int:
    if persona == "anonymous" and (_login_required(callback) or name in REGISTRY_STAFF):
        return 401
    if read_status == 404:
        return 404
    if persona == "carlos" and name in REGISTRY_STAFF:
        return 403
    return 200


@pytest.mark.django_db
def test_it_answers_options_on_every_route_as_get_sees_the_object(askers):
    clients, objects = askers
    names = {name for name, _pattern, _callback in _api_routes()}
    wrong, asked = [], 0
    for name, pattern, callback in _api_routes():
        read = _read_route(callback, names)
        for kwargs in _sides(name, pattern, objects):
            url = reverse(name, kwargs=kwargs)
            read_url = reverse(read, kwargs=kwargs) if read else None
            for persona, client in clients.items():
                response = client.options(url)
                asked += 1
                read_status = client.get(read_url).status_code if read_url else None
                expected = _expected(name, callback, persona, read_status)
                if response.status_code != expected:
                    wrong.append(
                        f"OPTIONS {url} ({name}) as {persona}: {response.status_code}, "
                        f"expected {expected} (GET {read_url}: {read_status})"
                    )
                elif expected == 200 and "OPTIONS" not in response.get("Allow", ""):
                    wrong.append(f"OPTIONS {url} ({name}) as {persona}: no Allow header")
                # A browser's OPTIONS gets the browsable API's page (or a 406 from the views
                # that answer JSON only), with the same status.
                page = client.options(url, HTTP_ACCEPT="text/html")
                if page.status_code not in (response.status_code, 406):
                    wrong.append(
                        f"OPTIONS {url} ({name}) as {persona} from a browser: "
                        f"{page.status_code}, {response.status_code} otherwise"
                    )
    assert not wrong, "\n".join(wrong)
    assert asked > 300  # every route, both sides, three personas


@pytest.mark.django_db
def test_it_says_nothing_of_the_object_where_it_does_not_look_it_up(askers):
    """The file and import views are functions: OPTIONS describes the endpoint, and the answer
    is the same for an object one may see, one one may not and one that does not exist."""
    clients, objects = askers
    for name, pattern, callback in _api_routes():
        if issubclass(callback.cls, GenericAPIView) or "<" not in pattern:
            continue
        sides = _sides(name, pattern, objects)
        for persona, client in clients.items():
            answers = {client.options(reverse(name, kwargs=kwargs)).content for kwargs in sides}
            assert len(answers) == 1, (name, persona)


def _actions(client, url) -> dict:
    response = client.options(url)
    assert response.status_code == 200, response.content
    return response.json().get("actions", {})


@pytest.mark.django_db
def test_it_describes_the_fields_of_a_change_only_to_who_may_change(plan, ana, elena, carlos):
    url = f"/api/v1/plans/{plan.slug}/"
    for user in (ana, elena):  # an administrator, the plan's editor
        client = Client()
        client.force_login(user)
        assert "title" in _actions(client, url)["PUT"]
    nobody = Client()
    nobody.force_login(carlos)
    assert _actions(nobody, url) == {}
    assert _actions(Client(), url) == {}


@pytest.mark.django_db
def test_it_describes_a_create_form_to_logged_in_users_only(plan, carlos):
    """Whether one may create a node depends on the plan named in the body, which the service
    checks: the form is described to anyone logged in (as the OpenAPI schema describes it to
    anyone), never to the anonymous, who cannot write at all."""
    client = Client()
    client.force_login(carlos)
    assert "plan" in _actions(client, "/api/v1/nodes/")["POST"]
    assert _actions(Client(), "/api/v1/nodes/") == {}


@pytest.mark.django_db
def test_it_does_not_describe_bodies_the_view_serializer_does_not_read(ana, certificate):
    """Workflow actions and custom creates read bodies of their own (in the OpenAPI schema):
    the view's serializer would describe the wrong fields."""
    client = Client()
    client.force_login(ana)
    for url in (
        "/api/v1/certificates/",
        f"/api/v1/certificates/{certificate.code}/revoke/",
        "/api/v1/consultations/",
        f"/api/v1/agreements/{certificate.agreement.slug}/stage/",
        "/api/v1/audits/",
    ):
        assert _actions(client, url) == {}, url
    assert "POST" in client.options("/api/v1/certificates/")["Allow"]


@pytest.mark.django_db
def test_it_shows_the_html_page_of_routes_whose_body_is_their_own(ana, certificate):
    """The browsable API draws no form from a view's serializer that its route does not read
    (a 500 when the view has none): POST-only routes answer their 405 page."""
    client = Client()
    client.force_login(ana)
    for url in ("/api/v1/consultations/", "/api/v1/experts/AUD-001/relations/"):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 405, url
        assert response["Content-Type"].startswith("text/html")
    page = client.get("/api/v1/plans/", HTTP_ACCEPT="text/html").content.decode()
    assert 'name="title"' in page  # the generic create keeps its form
