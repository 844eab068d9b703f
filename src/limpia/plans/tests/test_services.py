"""The services every change goes through: status transitions, permissions, tree structure."""

import datetime as dt

import pytest

from limpia.core.errors import DomainError, IllegalTransition, NotAllowed
from limpia.plans import services
from limpia.plans.models import Indicator, Measurement, Node, Plan

STATUSES = ("draft", "submitted", "returned", "approved")
VERBS = {
    "submit": lambda user, m: services.measurement_submit(acting_user=user, measurement=m),
    "approve": lambda user, m: services.measurement_approve(acting_user=user, measurement=m),
    "return": lambda user, m: services.measurement_return(
        acting_user=user, measurement=m, note="Revisar la fuente"
    ),
}
LEGAL = {
    ("submit", "draft"): "submitted",
    ("submit", "returned"): "submitted",
    ("approve", "submitted"): "approved",
    ("return", "submitted"): "returned",
}
ILLEGAL = [(verb, status) for verb in VERBS for status in STATUSES if (verb, status) not in LEGAL]


def measurement(status, **extra):
    return Measurement.objects.create(
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=50,
        status=status,
        **extra,
    )


# --- measurement transitions ----------------------------------------------------------------


@pytest.mark.parametrize(("verb", "status"), ILLEGAL)
def test_it_refuses_every_illegal_measurement_transition(plan, ana, verb, status):
    m = measurement(status)
    history_before = m.history.count()

    with pytest.raises(IllegalTransition) as refused:
        VERBS[verb](ana, m)

    assert refused.value.field == "status"
    m.refresh_from_db()
    assert m.status == status
    assert m.history.count() == history_before


@pytest.mark.parametrize(("verb", "status"), list(LEGAL))
def test_it_makes_every_legal_measurement_transition(plan, ana, verb, status):
    m = measurement(status)

    VERBS[verb](ana, m)

    m.refresh_from_db()
    assert m.status == LEGAL[(verb, status)]
    latest = m.history.latest("history_date")
    assert (latest.status, latest.history_user) == (LEGAL[(verb, status)], ana)


def test_it_lets_the_reporter_submit_and_a_reviewer_approve(plan, rita, rosa):
    m = services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=50,
        submit=True,
    )
    m.refresh_from_db()
    assert m.status == "submitted"

    services.measurement_approve(acting_user=rosa, measurement=m)

    m.refresh_from_db()
    assert (m.status, m.submitted_by, m.reviewed_by) == ("approved", rita, rosa)
    assert [r.history_user for r in m.history.order_by("history_date", "history_id")] == [
        rita,
        rita,
        rosa,
    ]


def test_it_tells_a_reviewer_that_a_measurement_is_already_approved(plan, rita, rosa):
    m = measurement("submitted", created_by=rita, submitted_by=rita)
    services.measurement_approve(acting_user=rosa, measurement=m)

    with pytest.raises(IllegalTransition):
        services.measurement_approve(acting_user=rosa, measurement=m)


def test_it_forbids_a_reviewer_to_approve_her_own_submission(plan, rosa):
    m = measurement("submitted", created_by=rosa, submitted_by=rosa)

    with pytest.raises(NotAllowed):
        services.measurement_approve(acting_user=rosa, measurement=m)

    m.refresh_from_db()
    assert m.status == "submitted"


def test_it_forbids_a_reporter_to_approve(plan, rita):
    m = measurement("submitted", created_by=rita, submitted_by=rita)

    with pytest.raises(NotAllowed):
        services.measurement_approve(acting_user=rita, measurement=m)


# --- plan status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "verb", "end"),
    [
        ("draft", "approve", "approved"),
        ("draft", "archive", "archived"),
        ("approved", "archive", "archived"),
        ("approved", "reopen", "draft"),
        ("archived", "reopen", "draft"),
    ],
)
def test_it_changes_a_plans_status_and_records_who_did_it(plan_builder, ana, start, verb, end):
    plan = plan_builder(status=start)

    services.plan_change_status(acting_user=ana, plan=plan, verb=verb)

    plan.refresh_from_db()
    assert plan.status == end
    assert plan.status_changed_by == ana
    assert plan.status_changed_at is not None
    latest = plan.history.latest("history_date")
    assert (latest.history_user, latest.history_change_reason) == (ana, verb)


@pytest.mark.parametrize(
    ("start", "verb"),
    [
        ("approved", "approve"),
        ("archived", "approve"),
        ("archived", "archive"),
        ("draft", "reopen"),
    ],
)
def test_it_refuses_illegal_plan_transitions(plan_builder, ana, start, verb):
    plan = plan_builder(status=start)

    with pytest.raises(IllegalTransition):
        services.plan_change_status(acting_user=ana, plan=plan, verb=verb)

    plan.refresh_from_db()
    assert plan.status == start
    assert plan.status_changed_by is None


def test_it_refuses_an_unknown_plan_action(plan, ana):
    with pytest.raises(DomainError) as refused:
        services.plan_change_status(acting_user=ana, plan=plan, verb="publish")

    assert refused.value.field == "action"


def test_it_forbids_a_plan_editor_to_approve_her_plan(plan, elena):
    Plan.objects.filter(pk=plan.pk).update(status="draft")

    with pytest.raises(NotAllowed):
        services.plan_change_status(acting_user=elena, plan=plan, verb="approve")

    plan.refresh_from_db()
    assert plan.status == "draft"
    assert plan.status_changed_by is None


# --- tree structure -------------------------------------------------------------------------


def node(code, plan_slug="plan-prueba"):
    return Node.objects.get(plan__slug=plan_slug, code=code)


def move(user, code, parent):
    n = node(code)
    n.parent = parent
    return services.plan_element_save(acting_user=user, instance=n)


def test_it_refuses_to_place_a_node_under_itself(plan, elena):
    with pytest.raises(DomainError) as refused:
        move(elena, "1", node("1"))

    assert refused.value.field == "parent"
    assert node("1").parent is None


def test_it_refuses_to_place_a_node_under_its_own_descendant(plan, elena):
    services.plan_element_save(
        acting_user=elena,
        instance=Node(
            plan=plan, parent=node("1.1"), code="1.1.1", normalized_code="1.1.1", title="Nieto"
        ),
    )

    for descendant in ("1.1", "1.1.1"):
        with pytest.raises(DomainError) as refused:
            move(elena, "1", node(descendant))
        assert refused.value.field == "parent"
    assert node("1").parent is None
    assert node("1").depth == 0


def test_it_refuses_a_parent_from_another_plan(plan, plan_builder, elena):
    other = plan_builder(slug="otro-plan", nodes=[{"code": "9"}])

    with pytest.raises(DomainError) as refused:
        move(elena, "2", node("9", plan_slug=other.slug))

    assert refused.value.field == "parent"
    assert node("2").parent is None


def test_it_recomputes_the_depths_of_a_moved_subtree(plan_builder, ana):
    plan_builder(
        nodes=[
            {"code": "1", "children": [{"code": "1.1"}]},
            {"code": "2", "children": [{"code": "2.1", "children": [{"code": "2.1.1"}]}]},
        ]
    )

    move(ana, "2", node("1.1"))

    assert node("2").parent == node("1.1")
    depths = {n.code: n.depth for n in Node.objects.filter(plan__slug="plan-prueba")}
    assert depths == {"1": 0, "1.1": 1, "2": 2, "2.1": 3, "2.1.1": 4}

    move(ana, "2.1", None)

    depths = {n.code: n.depth for n in Node.objects.filter(plan__slug="plan-prueba")}
    assert depths == {"1": 0, "1.1": 1, "2": 2, "2.1": 0, "2.1.1": 1}


def test_it_lets_the_plan_editor_move_nodes(plan, elena):
    move(elena, "2", node("1.2"))

    assert (node("2").depth, node("2").parent) == (2, node("1.2"))


def test_it_forbids_users_without_a_role_to_move_nodes(plan, carlos):
    with pytest.raises(NotAllowed):
        move(carlos, "2", node("1.2"))

    assert node("2").parent is None


def test_it_refuses_trees_deeper_than_twelve_levels(plan_builder, ana):
    plan = plan_builder(nodes=[{"code": "L0"}])
    parent = node("L0")
    for level in range(1, 12):
        parent = services.plan_element_save(
            acting_user=ana,
            instance=Node(
                plan=plan,
                parent=parent,
                code=f"L{level}",
                normalized_code=f"L{level}",
                title=f"Nivel {level}",
            ),
        )
    assert parent.depth == 11

    with pytest.raises(DomainError) as refused:
        services.plan_element_save(
            acting_user=ana,
            instance=Node(
                plan=plan, parent=parent, code="L12", normalized_code="L12", title="Demasiado"
            ),
        )

    assert refused.value.field == "parent"
    assert not Node.objects.filter(code="L12").exists()
