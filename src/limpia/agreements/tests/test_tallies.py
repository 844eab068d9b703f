"""The compliance tallies stay equal to a recount of the audit items.

Through the services, as the coordinator Cora and the auditor Aurora use them: random sequences
of final and intermediate audits of three facilities on few dates (so that the latest on a
date is the one recorded last), submitted or left open, and re-verifications of the items that
failed a final audit, validated or not. After every step the stored tallies equal what a
recount writes (`tallies.recount`), and the consolidated report read from them equals the one
counted from the items.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from limpia.agreements import figures, services, tallies
from limpia.agreements.models import ActionTally, AuditItem, FacilityTally, GoalTally
from limpia.agreements.tests.helpers import adhere, run_audit, set_stage

from .test_compliance_api import FINDINGS

START = dt.date(2025, 11, 3)
finding = st.sampled_from([True, False, None])  # complies, fails, does not apply
step = st.one_of(
    st.tuples(
        st.just("audit"),
        st.sampled_from(sorted(FINDINGS)),
        st.sampled_from(["final", "final", "intermediate"]),
        st.integers(min_value=0, max_value=2),
        st.booleans(),  # submitted
        st.lists(finding, min_size=4, max_size=4),
    ),
    st.tuples(
        st.just("correct"),
        st.sampled_from(sorted(FINDINGS)),
        st.booleans(),  # validated
        st.lists(st.booleans(), min_size=4, max_size=4),
    ),
)


def _audit(cora, apl, facility, aurora, code, audit_type, day, submit, values):
    findings = dict(zip(FINDINGS[code], values, strict=False))
    return run_audit(
        cora,
        apl,
        facility,
        aurora,
        findings,
        audit_type=audit_type,
        audit_date=START + dt.timedelta(days=day),
        submit=submit,
    )


def _correct(cora, apl, facility, aurora, validated, values):
    final = (
        figures.latest_audits([apl.pk], "final").filter(facility=facility).order_by("-id").first()
    )
    if final is None or figures.audit_outcome(final) != "correction":
        return
    failed = AuditItem.objects.filter(audit=final, applies=True, complies=False)
    findings = {
        item.action.code: value
        for item, value in zip(failed.select_related("action"), values, strict=False)
    }
    correction = run_audit(
        cora,
        apl,
        facility,
        aurora,
        findings,
        audit_type="correction",
        audit_date=final.audit_date + dt.timedelta(days=1),
        corrects=final,
    )
    if validated:
        services.correction_validate(acting_user=cora, audit=correction)


def assert_tallies_recount(apl):
    assert tallies.stored([apl.pk]) == tallies.recount([apl.pk])
    for audit_type in tallies.TALLIED:
        assert figures.consolidated(apl, audit_type) == figures.consolidated_counted(
            apl, audit_type
        )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=6))
# A final audit with one failed item of three, then its re-verification validated.
@example(
    steps=[
        ("audit", "A1", "final", 0, True, [True, False, True, None]),
        ("correct", "A1", True, [True, True, True, True]),
    ]
)
def test_the_services_keep_the_tallies_equal_to_a_recount(apl, facilities, cora, aurora, steps):
    # A correction period above one half, so that one failed item in three gives one.
    type(apl).objects.filter(pk=apl.pk).update(correction_above=Decimal("0.5"))
    apl.refresh_from_db()
    with transaction.atomic():
        adhere(apl, *facilities.values())
        set_stage(apl, "final_evaluation")
        for kind, code, *rest in steps:
            facility = facilities[code]
            if kind == "audit":
                audit_type, day, submit, values = rest
                # one open audit of a type at a time: an open one is submitted first
                open_ = apl.audits.filter(facility=facility, audit_type=audit_type, status="open")
                for audit in open_:
                    services.audit_submit(acting_user=aurora.user, audit=audit)
                _audit(cora, apl, facility, aurora, code, audit_type, day, submit, values)
            else:
                _correct(cora, apl, facility, aurora, *rest)
            assert_tallies_recount(apl)
        transaction.set_rollback(True)


def test_a_rebuild_writes_what_the_services_wrote(apl, facilities, cora, aurora):
    adhere(apl, *facilities.values())
    set_stage(apl, "final_evaluation")
    for code, findings in FINDINGS.items():
        run_audit(cora, apl, facilities[code], aurora, findings)
    by_services = tallies.stored([apl.pk])
    assert len(by_services["facilities"]) == 3
    written = tallies.rebuild([apl.pk])
    assert written["facilities"] == 3
    assert tallies.stored([apl.pk]) == by_services


def test_retally_rebuilds_and_checks(apl, facilities, cora, aurora):
    adhere(apl, *facilities.values())
    set_stage(apl, "final_evaluation")
    for code, findings in FINDINGS.items():
        run_audit(cora, apl, facilities[code], aurora, findings)
    FacilityTally.objects.filter(agreement=apl).update(complying=0)  # a tally gone wrong
    GoalTally.objects.filter(agreement=apl).delete()
    ActionTally.objects.filter(agreement=apl).update(audited=7)
    with pytest.raises(CommandError, match="APL-LAC-01"):
        call_command("retally", "--check")
    call_command("retally", "--agreement", "APL-LAC-01")
    assert tallies.stored([apl.pk]) == tallies.recount([apl.pk])
    call_command("retally", "--check")  # nothing to report now
