"""The figures computed in the database equal the pure compliance module's on random audits.

Each example writes random audits for random facilities of the `apl` fixture's five actions
(two goals): several final audits per facility (the latest counts; on the same date the one
recorded last), open audits and intermediate ones (ignored), and correction re-verifications,
validated or not, of the latest final audit or of an older one. The expected report is built
the slow way: each facility's latest final audit's items, the validated re-verifications of
that audit merged in date order (`compliance.after_reverification`), then
`compliance.consolidated_report`. Both the report counted from the items and the one read from
the tallies (rebuilt in the database, as the bulk paths do) must equal it.
"""

import datetime as dt
from fractions import Fraction

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from limpia import compliance
from limpia.agreements import figures, tallies
from limpia.agreements.models import Action, Audit, AuditItem, Company, Facility

ACTIONS = ("1.1", "1.2", "2.1", "2.2", "2.3")
per_example = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

finding = st.sampled_from([True, False, None])  # complies, fails, does not apply
findings = st.dictionaries(st.sampled_from(ACTIONS), finding, max_size=len(ACTIONS))
full_findings = st.fixed_dictionaries({code: finding for code in ACTIONS})
day = st.integers(min_value=0, max_value=3)  # few dates, so that ties on a date happen
audit = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["final", "final", "final", "intermediate"]),
        "submitted": st.booleans(),
        "day": day,
        "findings": full_findings,
        "corrections": st.lists(
            st.fixed_dictionaries(
                {
                    "day": day,
                    "submitted": st.booleans(),
                    "validated": st.booleans(),
                    "findings": findings,
                }
            ),
            max_size=3,
        ),
    }
)
facility_audits = st.lists(st.lists(audit, max_size=3), min_size=1, max_size=6)
START = dt.date(2025, 11, 3)


def write(apl, aurora, company, plan) -> dict[str, list]:
    """Write the example's audits; answer facility code → its audits with their corrections."""
    actions = {a.code: a for a in Action.objects.filter(goal__agreement=apl)}
    written = {}
    for number, audits in enumerate(plan):
        facility = Facility.objects.create(company=company, code=f"H{number}", name=f"H{number}")
        written[facility.code] = []
        for spec in audits:
            final = _audit(apl, aurora, facility, spec, spec["type"], None, actions)
            corrections = [
                (c, _audit(apl, aurora, facility, c, "correction", final, actions))
                for c in spec["corrections"]
            ]
            written[facility.code].append((spec, final, corrections))
    return written


def _audit(apl, aurora, facility, spec, audit_type, corrects, actions) -> Audit:
    submitted = spec["submitted"]
    audit = Audit.objects.create(
        agreement=apl,
        facility=facility,
        auditor=aurora,
        audit_type=audit_type,
        audit_date=START + dt.timedelta(days=spec["day"]),
        status="submitted" if submitted else "open",
        submitted_at=timezone.now() if submitted else None,
        corrects=corrects,
        validated_at=timezone.now() if spec.get("validated") else None,
    )
    AuditItem.objects.bulk_create(
        AuditItem(audit=audit, action=actions[code], applies=value is not None, complies=value)
        for code, value in spec["findings"].items()
    )
    return audit


def pure(findings_: dict) -> tuple[compliance.AuditItem, ...]:
    return tuple(
        compliance.AuditItem(code, code.split(".")[0], value is not None, value)
        for code, value in sorted(findings_.items())
    )


def expected_report(written, tax_id) -> compliance.ConsolidatedReport:
    facilities = {}
    for code, audits in written.items():
        finals = [
            (final, spec, corrections)
            for spec, final, corrections in audits
            if spec["type"] == "final" and spec["submitted"]
        ]
        if not finals:
            continue
        _final, spec, corrections = max(finals, key=lambda f: (f[0].audit_date, f[0].pk))
        items = pure(spec["findings"])
        valid = [(c, a) for c, a in corrections if c["submitted"] and c["validated"]]
        for correction, _audit in sorted(valid, key=lambda ca: (ca[1].audit_date, ca[1].pk)):
            items = compliance.after_reverification(items, pure(correction["findings"]))
        facilities[code] = compliance.FacilityAudit(code, tax_id, items)
    return compliance.consolidated_report(facilities)


@pytest.fixture
def company(db):
    return Company.objects.create(country_id="CL", tax_id="761234567", name="Hipótesis")


ALL_COMPLY = dict.fromkeys(ACTIONS, True)


def _correction(day_, findings_):
    return {"day": day_, "submitted": True, "validated": True, "findings": findings_}


@per_example
@given(plan=facility_audits)
# Two validated re-verifications of one action: the later one counts, whatever the order in
# which they were recorded; on the same date, the one recorded last.
@example(
    plan=[
        [
            {
                "type": "final",
                "submitted": True,
                "day": 0,
                "findings": {**ALL_COMPLY, "1.1": False},
                "corrections": [_correction(2, {"1.1": True}), _correction(1, {"1.1": False})],
            }
        ],
        [
            {
                "type": "final",
                "submitted": True,
                "day": 0,
                "findings": {**ALL_COMPLY, "1.2": False},
                "corrections": [_correction(1, {"1.2": False}), _correction(1, {"1.2": True})],
            }
        ],
    ]
)
def test_the_sql_report_equals_the_pure_one(apl, aurora, company, plan):
    with transaction.atomic():
        written = write(apl, aurora, company, plan)
        tallies.rebuild([apl.pk])  # the audits were written as a bulk path writes them
        expected = expected_report(written, company.tax_id)
        assert figures.consolidated_counted(apl) == expected
        assert figures.consolidated(apl) == expected
        assert tallies.stored([apl.pk]) == tallies.recount([apl.pk])
        eligibility = figures.eligibility_by_facility(apl)
        codes = dict(Facility.objects.filter(pk__in=eligibility).values_list("pk", "code"))
        assert sorted(codes.values()) == sorted(line.facility_code for line in expected.facilities)
        settings_ = figures.settings_of(apl)
        for facility_id, outcome in eligibility.items():
            assert outcome == slow_eligibility(written[codes[facility_id]], settings_)
        latest = figures.latest_audits([apl.pk], "final")
        found = figures.distributions(latest, {"all": None, "facility": F("audit__facility__code")})
        tallied = figures.tallied_distribution_groups(
            [apl.pk], {"all": None, "facility": F("facility__code")}
        )
        assert figures.distributions_of(tallied) == found
        for line in expected.facilities:
            one = found["facility"].get(line.facility_code) or compliance.distribution([])
            assert one.mean == line.compliance
        got = found["all"].get(None) or compliance.distribution([])
        assert got.mean == expected.compliance
        assert got.facilities == len(expected.facilities)
        assert got.full == sum(1 for line in expected.facilities if line.compliance == 1)
        transaction.set_rollback(True)


def slow_eligibility(audits, settings_) -> str:
    finals = [(f, s, c) for s, f, c in audits if s["type"] == "final" and s["submitted"]]
    _final, spec, corrections = max(finals, key=lambda f: (f[0].audit_date, f[0].pk))
    items = pure(spec["findings"])
    outcome = compliance.final_audit_outcome(compliance.facility_compliance(items), settings_)
    if outcome != "correction":
        return outcome
    valid = [(c, a) for c, a in corrections if c["submitted"] and c["validated"]]
    for correction, _audit in sorted(valid, key=lambda ca: (ca[1].audit_date, ca[1].pk)):
        items = compliance.after_reverification(items, pure(correction["findings"]))
    return "eligible" if compliance.facility_compliance(items) == 1 else "correction_pending"


def test_the_distribution_keeps_exact_fractions():
    groups = [(Fraction(3, 4), 3, 2, 1), (Fraction(3, 4), 3, 3, 2), (Fraction(3, 4), 0, 0, 4)]
    result = compliance.distribution(groups)
    assert result.mean == Fraction(2 + 3 + 3, 3 * 3)  # (2/3 + 1 + 1) / 3
    assert (result.facilities, result.full, result.correction, result.below) == (7, 2, 0, 1)
    assert result.not_assessable == 4
    # 4/5 is above 3/4: a correction period; exactly 3/4 is not
    assert compliance.distribution([(Fraction(3, 4), 5, 4, 1)]).correction == 1
    assert compliance.distribution([(Fraction(3, 4), 4, 3, 1)]).below == 1
