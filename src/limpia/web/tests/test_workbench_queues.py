"""The work page at scale: summaries first, each queue paged and searched, a fixed number of
queries whatever the number of agreements or facilities.

ana (administrator) sees every agreement in progress; cora coordinates the first one. Each
agreement built here has, on TODAY: facilities late on action 1.1 (no report), one eligible
facility not yet consulted, one with a cleared consultation (ready for its certificate), one
certified, an audit in progress and a re-verification to validate.
"""
# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import datetime as dt

import pytest
from django.test import Client

from limpia.access.models import Role, RoleAssignment
from limpia.agreements import queues, tallies
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    Certificate,
    Company,
    Consultation,
    ConsultationAnswer,
    Facility,
    FollowUpItem,
    FollowUpReport,
    Goal,
    Signatory,
)
from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures
    _user,
    aurora,
    organizations,
)
from limpia.agreements.tests.helpers import freeze_today

pytestmark = pytest.mark.urls("limpia.web.tests.workbench_test_urls")

TODAY = dt.date(2026, 3, 2)
AUDITED = dt.date(2025, 11, 3)


def logged_in(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def build(n: int, organizations, auditor, *, late: int = 2) -> Agreement:
    """Agreement number `n` (`apl-n`, code APL-n) in its final evaluation, with `late`
    facilities late and the five others described in the module's docstring."""
    agreement = Agreement.objects.create(
        slug=f"apl-{n}",
        code=f"APL-{n:02d}",
        name=f"Acuerdo {n}",
        country_id="CL",
        stage="final_evaluation",
        signing_date=dt.date(2024, 1, 15),
    )
    regulator = Signatory.objects.create(
        agreement=agreement, organization=organizations["sag"], role="regulator"
    )
    goal = Goal.objects.create(agreement=agreement, code="1", title="Agua", position=1)
    due = Action.objects.create(
        goal=goal, code="1.1", text="Medir", position=1, deadline_date=dt.date(2025, 1, 1)
    )
    large_only = Action.objects.create(
        goal=goal,
        code="1.2",
        text="Tratar",
        position=2,
        deadline_date=dt.date(2025, 1, 1),
        applies_to_sizes=["grande"],
    )
    company = Company.objects.create(
        country_id="CL", tax_id=f"7{n:07d}", name=f"Empresa {n}", size="pequeña"
    )
    names = [f"Late {i}" for i in range(late)]
    names += ["Eligible", "Consulted", "Certified", "Auditing", "Correcting"]
    facilities = {
        name: Facility.objects.create(company=company, code=f"F{n}-{i:03d}", name=name)
        for i, name in enumerate(names)
    }
    for facility in facilities.values():
        adhesion = Adhesion.objects.create(
            agreement=agreement, facility=facility, adhered_on=dt.date(2024, 2, 1)
        )
        if not facility.name.startswith("Late"):
            report = FollowUpReport.objects.create(
                adhesion=adhesion, kind="progress", period_end=dt.date(2025, 6, 30)
            )
            FollowUpItem.objects.create(report=report, action=due, status="done")

    def audit(facility, audit_type="final", status="submitted", complies=True, **extra):
        made = Audit.objects.create(
            agreement=agreement,
            facility=facility,
            auditor=auditor,
            audit_type=audit_type,
            audit_date=AUDITED,
            status=status,
            **extra,
        )
        if status == "submitted":
            AuditItem.objects.create(audit=made, action=due, applies=True, complies=complies)
            AuditItem.objects.create(audit=made, action=large_only, applies=False, reason="No")
        return made

    for name in ("Eligible", "Consulted", "Certified"):
        final = audit(facilities[name])
    consultation = Consultation.objects.create(
        agreement=agreement, facility=facilities["Consulted"], consulted_on=dt.date(2026, 1, 5)
    )
    ConsultationAnswer.objects.create(
        consultation=consultation,
        signatory=regulator,
        answered_on=dt.date(2026, 1, 6),
        objects_to=False,
    )
    Certificate.objects.create(
        code=f"APL-{n:02d}-C",
        agreement=agreement,
        facility=facilities["Certified"],
        final_audit=final,
        issued_on=dt.date(2026, 2, 1),
        valid_until=dt.date(2029, 2, 1),
    )
    audit(facilities["Auditing"], status="open")
    failed = audit(facilities["Correcting"], complies=False)
    audit(facilities["Correcting"], audit_type="correction", corrects=failed)
    tallies.rebuild([agreement.pk])  # the audits were written directly, as a bulk path does
    return agreement


@pytest.fixture
def agreements(organizations, aurora, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    return [build(n, organizations, aurora) for n in range(1, 4)]


def test_it_counts_every_queue_of_each_agreement_on_its_own(agreements):
    summaries = queues.summaries(agreements, TODAY)
    for agreement in agreements:
        summary = summaries[agreement.pk]
        assert (
            summary.late,
            summary.open_audits,
            summary.to_validate,
            summary.to_consult,
            summary.consultations,
            summary.to_certify,
            summary.certificates,
        ) == (2, 1, 1, 1, 1, 1, 1), agreement.code
    # A report that shows 1.1 done takes a late facility out of its agreement's queue only.
    adhesion = Adhesion.objects.get(agreement=agreements[0], facility__name="Late 0")
    report = FollowUpReport.objects.create(
        adhesion=adhesion, kind="progress", period_end=dt.date(2025, 12, 31)
    )
    FollowUpItem.objects.create(
        report=report,
        action=Action.objects.get(goal__agreement=agreements[0], code="1.1"),
        status="done",
    )
    summaries = queues.summaries(agreements, TODAY)
    assert [summaries[a.pk].late for a in agreements] == [1, 2, 2]
    # The eligible facility, once consulted, moves from "to consult" to "consultations".
    Consultation.objects.create(
        agreement=agreements[1], facility=Facility.objects.get(code="F2-002"), consulted_on=TODAY
    )
    summaries = queues.summaries(agreements, TODAY)
    assert [summaries[a.pk].to_consult for a in agreements] == [1, 0, 1]
    assert [summaries[a.pk].consultations for a in agreements] == [1, 2, 1]
    assert [summaries[a.pk].to_certify for a in agreements] == [1, 1, 1]  # the new one is open


def test_the_late_rows_name_the_overdue_actions_of_the_company_size(agreements):
    rows = queues.late_facilities(agreements[0], today=TODAY)
    assert [(r["facility"].code, r["overdue_actions"], r["last_report"]) for r in rows] == [
        ("F1-000", ["1.1"], None),
        ("F1-001", ["1.1"], None),
    ]
    Company.objects.update(size="grande")  # now 1.2 applies to them, and nobody reported it
    rows = queues.late_facilities(agreements[0], today=TODAY)
    assert len(rows) == 7
    assert rows[2]["overdue_actions"] == ["1.2"]
    assert rows[2]["last_report"] == dt.date(2025, 6, 30)
    assert queues.late_facilities(agreements[0], today=dt.date(2025, 1, 1)) == []


def test_the_administrators_work_page_shows_summaries_in_fixed_queries(
    agreements,
    organizations,
    aurora,
    ana,
    django_assert_num_queries,
):
    admin = logged_in(ana)
    with django_assert_num_queries(HOME_QUERIES):
        page = admin.get("/work/").content.decode()
    for agreement in agreements:
        assert f'<a href="/work/agreements/{agreement.slug}/?queue=late">2</a>' in page
    more = [build(n, organizations, aurora) for n in range(4, 8)]
    with django_assert_num_queries(HOME_QUERIES):
        page = admin.get("/work/").content.decode()
    assert f'<a href="/work/agreements/{more[-1].slug}/">APL-07</a>' in page
    # Searched by code or name, paged on its own.
    page = admin.get("/work/?aq=Acuerdo+5").content.decode()
    assert "APL-05" in page and "APL-04" not in page
    assert "1 found" in page


HOME_QUERIES = 16  # session, user, roles, registry (4), agreements (2), summaries (10)


@pytest.mark.parametrize(
    "queue, listed",
    [
        ("late", "F1-000"),
        ("open_audits", "Auditing"),
        ("to_validate", "Correcting"),
        ("to_consult", "Eligible"),
        ("consultations", "Consulted"),
        ("to_certify", "Consulted"),
        ("certificates", "APL-01-C"),
    ],
)
def test_each_queue_is_a_page_of_its_own(
    agreements,
    queue,
    listed,
    django_assert_max_num_queries,
    organizations,
):
    cora = _user("cora")
    RoleAssignment.objects.create(user=cora, role=Role.COORDINATOR, agreement=agreements[0])
    coordinator = logged_in(cora)
    url = f"/work/agreements/apl-1/?queue={queue}"
    with django_assert_max_num_queries(QUEUE_QUERIES):
        page = coordinator.get(url).content.decode()
    assert listed in page
    assert "F2-" not in page  # another agreement's facilities are not in this one's queues


QUEUE_QUERIES = 26


def test_a_long_queue_is_paged_and_searched(organizations, aurora, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    build(1, organizations, aurora, late=30)
    cora = _user("cora")
    RoleAssignment.objects.create(
        user=cora, role=Role.COORDINATOR, agreement=Agreement.objects.get()
    )
    coordinator = logged_in(cora)
    first = coordinator.get("/work/agreements/apl-1/?queue=late").content.decode()
    assert first.count("/report/apl-1/") == 25
    assert "Page 1 of 2" in first
    assert 'href="?queue=late&amp;page=2"' in first
    second = coordinator.get("/work/agreements/apl-1/?queue=late&page=2").content.decode()
    assert second.count("/report/apl-1/") == 5
    assert "F1-029" in second and "F1-000" not in second
    found = coordinator.get("/work/agreements/apl-1/?queue=late&q=F1-02").content.decode()
    assert found.count("/report/apl-1/") == 10  # F1-020 to F1-029
    assert "10 found" in found
    assert 'name="queue" value="late"' in found  # the search stays in the queue
    by_tax_id = coordinator.get("/work/agreements/apl-1/?queue=late&q=70000001").content.decode()
    assert by_tax_id.count("/report/apl-1/") == 25 and "30 found" in by_tax_id
    nobody = coordinator.get("/work/agreements/apl-1/?queue=late&q=79999999").content.decode()
    assert "/report/apl-1/" not in nobody and "0 found" in nobody


def test_someone_who_does_not_coordinate_the_agreement_is_refused(agreements, carlos):
    assert logged_in(carlos).get("/work/agreements/apl-1/").status_code == 403
