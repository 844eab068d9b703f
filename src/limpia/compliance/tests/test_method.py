"""Hand-computed examples of every branch of the compliance and certification method.

The ``test_it_reproduces_doc_example_*`` tests carry the worked examples of docs/compliance.md;
keep both in step.
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from ..method import (
    CERTIFICATE_STATUSES,
    DEFAULT_SETTINGS,
    REASONS,
    ActionLine,
    AuditItem,
    CertificateState,
    CertificationSettings,
    CompanyLine,
    FacilityAudit,
    FacilityLine,
    GoalLine,
    MaintenanceAudit,
    Objection,
    action_compliance,
    after_reverification,
    agreement_compliance,
    certificate_status,
    certificate_valid_until,
    company_compliance,
    consolidated_report,
    consultation_state,
    facility_compliance,
    final_audit_outcome,
    goal_compliance,
    mean_compliance,
    natural_key,
)

F = Fraction
NA = None  # the action does not apply
COMPANY_A = "76.111.111-1"
COMPANY_B = "96.222.222-2"


def item(code, finding):
    """An audit item of goal ``code``'s prefix: True complies, False fails, NA does not apply."""
    goal = code.split(".")[0]
    if finding is NA:
        return AuditItem(code, goal, applies=False, complies=None)
    return AuditItem(code, goal, applies=True, complies=finding)


def items(**findings):
    """``items(a1_1=True, a1_10=NA)`` → items of actions "1.1" and "1.10"."""
    return tuple(item(key[1:].replace("_", "."), value) for key, value in findings.items())


def audit(code, tax_id, **findings):
    return FacilityAudit(code, tax_id, items(**findings))


def percent(value):
    """Percentage rounded to one decimal, as the documentation shows it."""
    return round(value * 100, 1)


# The sector of doc example 1: five actions of two goals, three facilities of two companies.
P1 = audit("P-1", COMPANY_A, a1_1=True, a1_2=True, a1_10=False, a2_1=True, a2_2=NA)
P2 = audit("P-2", COMPANY_A, a1_1=True, a1_2=False, a1_10=True, a2_1=False, a2_2=True)
P10 = audit("P-10", COMPANY_B, a1_1=True, a1_2=NA, a1_10=True, a2_1=True, a2_2=NA)
P11 = audit("P-11", COMPANY_B, a1_1=NA, a1_2=NA, a1_10=NA, a2_1=NA, a2_2=NA)
SECTOR = {"P-10": P10, "P-2": P2, "P-1": P1}  # any order: the report sorts


# --- facility, goal, company, agreement and action compliance -------------------------------


def test_it_gives_no_facility_compliance_when_nothing_applies():
    assert facility_compliance(items(a1_1=NA, a1_2=NA)) is None
    assert facility_compliance(()) is None


def test_it_computes_a_partial_facility_compliance_exactly():
    assert facility_compliance(items(a1_1=True, a1_2=False, a1_3=True, a1_4=NA)) == F(2, 3)


def test_it_computes_full_facility_compliance():
    assert facility_compliance(items(a1_1=True, a1_2=True, a1_3=NA)) == 1


def test_it_computes_zero_facility_compliance():
    assert facility_compliance(items(a1_1=False, a1_2=NA)) == 0


def test_it_computes_goal_compliance_over_that_goals_items_only():
    found = items(a1_1=True, a1_2=False, a2_1=False, a2_2=False, a3_1=NA)
    assert goal_compliance(found, "1") == F(1, 2)
    assert goal_compliance(found, "2") == 0
    assert goal_compliance(found, "3") is None
    assert goal_compliance(found, "4") is None


def test_it_averages_a_companys_facilities():
    assert company_compliance([P1, P2]) == F(27, 40)  # (3/4 + 3/5) / 2


def test_it_leaves_not_assessable_facilities_out_of_the_company_mean():
    assert company_compliance([P10, P11]) == 1
    assert company_compliance([P11]) is None
    assert company_compliance([]) is None


def test_it_refuses_a_company_mean_over_several_companies():
    with pytest.raises(ValueError, match="several companies"):
        company_compliance([P1, P10])


def test_it_averages_the_agreement_over_assessable_facilities():
    assert agreement_compliance([P1, P2, P10, P11]) == F(47, 60)
    assert agreement_compliance([P11]) is None
    assert agreement_compliance([]) is None


def test_it_weighs_every_facility_the_same_not_every_item():
    small = audit("S", COMPANY_A, a1_1=False)  # 0 of 1
    large = audit("L", COMPANY_A, a1_1=True, a1_2=True, a1_3=True, a1_4=True)  # 4 of 4
    assert agreement_compliance([small, large]) == F(1, 2)  # not 4/5


def test_it_computes_the_mean_of_assessable_values():
    assert mean_compliance([F(1, 3), None, F(2, 3)]) == F(1, 2)
    assert mean_compliance([None, None]) is None


def test_it_computes_the_per_action_share_of_facilities():
    assert action_compliance([P1, P2, P10, P11], "1.10") == F(2, 3)
    assert action_compliance([P1, P2, P10, P11], "1.2") == F(1, 2)
    assert action_compliance([P1, P10], "2.2") is None  # applies nowhere
    assert action_compliance([P1], "9.9") is None  # not in the agreement


# --- validation -------------------------------------------------------------------------------


def test_it_refuses_an_applicable_item_without_finding():
    with pytest.raises(ValueError, match=r"action 1\.3\b"):
        AuditItem("1.3", "1", applies=True, complies=None)


def test_it_refuses_a_non_applicable_item_with_a_finding():
    with pytest.raises(ValueError, match=r"action 2\.1\b"):
        AuditItem("2.1", "2", applies=False, complies=True)
    with pytest.raises(ValueError, match=r"action 2\.1\b"):
        AuditItem("2.1", "2", applies=False, complies=False)


def test_it_refuses_non_boolean_flags():
    with pytest.raises(ValueError, match=r"action 1\.1\b"):
        AuditItem("1.1", "1", applies=True, complies=1)
    with pytest.raises(ValueError, match=r"action 1\.1\b"):
        AuditItem("1.1", "1", applies=None, complies=None)


def test_it_refuses_two_items_for_one_action_at_a_facility():
    twice = (item("1.2", True), item("1.2", False))
    with pytest.raises(ValueError, match=r"action 1\.2\b"):
        FacilityAudit("P-1", COMPANY_A, twice)
    with pytest.raises(ValueError, match=r"action 1\.2\b"):
        facility_compliance(twice)
    with pytest.raises(ValueError, match=r"action 1\.2\b"):
        goal_compliance(twice, "1")


def test_it_refuses_an_action_under_two_goals_in_one_report():
    elsewhere = FacilityAudit("P-3", COMPANY_A, (AuditItem("1.1", "2", True, True),))
    with pytest.raises(ValueError, match=r"action 1\.1\b"):
        consolidated_report({"P-1": P1, "P-3": elsewhere})


def test_it_refuses_a_report_key_that_is_not_the_facility_code():
    with pytest.raises(ValueError, match="P-2"):
        consolidated_report({"P-2": P1})


# --- natural order ----------------------------------------------------------------------------


def test_it_sorts_codes_naturally():
    codes = ["1.10", "2.1", "1.2", "10.1", "1.1", "A", "1.1.b", "1.1.a"]
    assert sorted(codes, key=natural_key) == [
        "1.1",
        "1.1.a",
        "1.1.b",
        "1.2",
        "1.10",
        "2.1",
        "10.1",
        "A",
    ]


def test_it_breaks_natural_ties_on_the_code():
    assert sorted(["01", "1", "a", "A"], key=natural_key) == ["01", "1", "A", "a"]


# --- consolidated report ----------------------------------------------------------------------


def test_it_reproduces_doc_example_1_sector_report():
    report = consolidated_report(SECTOR)

    assert report.facilities == (
        FacilityLine("P-1", COMPANY_A, F(3, 4), applicable=4, complying=3),
        FacilityLine("P-2", COMPANY_A, F(3, 5), applicable=5, complying=3),
        FacilityLine("P-10", COMPANY_B, F(1), applicable=3, complying=3),
    )
    assert report.companies == (
        CompanyLine(COMPANY_A, F(27, 40), facilities=2),
        CompanyLine(COMPANY_B, F(1), facilities=1),
    )
    assert report.goals == (GoalLine("1", F(7, 9)), GoalLine("2", F(5, 6)))
    assert report.actions == (
        ActionLine("1.1", "1", F(1), applicable_facilities=3, complying_facilities=3),
        ActionLine("1.2", "1", F(1, 2), applicable_facilities=2, complying_facilities=1),
        ActionLine("1.10", "1", F(2, 3), applicable_facilities=3, complying_facilities=2),
        ActionLine("2.1", "2", F(2, 3), applicable_facilities=3, complying_facilities=2),
        ActionLine("2.2", "2", F(1), applicable_facilities=1, complying_facilities=1),
    )
    assert report.compliance == F(47, 60)

    # The percentages shown in the documentation.
    assert [percent(line.compliance) for line in report.facilities] == [75, 60, 100]
    assert [percent(line.compliance) for line in report.companies] == [F("67.5"), 100]
    assert [percent(line.compliance) for line in report.goals] == [F("77.8"), F("83.3")]
    assert [percent(line.compliance) for line in report.actions] == [
        100,
        50,
        F("66.7"),
        F("66.7"),
        100,
    ]
    assert percent(report.compliance) == F("78.3")
    # Pooling the items instead would give 9 / 12 = 75 %: the method does not pool.
    pooled = F(
        sum(line.complying for line in report.facilities),
        sum(line.applicable for line in report.facilities),
    )
    assert pooled == F(3, 4) != report.compliance


def test_it_reproduces_doc_example_1_with_a_not_assessable_facility():
    report = consolidated_report({**SECTOR, "P-11": P11})

    assert report.facilities[-1] == FacilityLine("P-11", COMPANY_B, None, 0, 0)
    assert report.companies[1] == CompanyLine(COMPANY_B, F(1), facilities=2)
    assert report.compliance == F(47, 60)
    assert report.goals == consolidated_report(SECTOR).goals
    assert report.actions == consolidated_report(SECTOR).actions


def test_it_reports_an_empty_agreement():
    report = consolidated_report({})
    assert report.compliance is None
    assert report.facilities == report.companies == report.goals == report.actions == ()


def test_it_lists_an_action_that_applies_nowhere_without_compliance():
    report = consolidated_report({"P-11": P11})
    assert report.compliance is None
    assert report.companies == (CompanyLine(COMPANY_B, None, facilities=1),)
    assert report.goals == (GoalLine("1", None), GoalLine("2", None))
    assert report.actions[0] == ActionLine("1.1", "1", None, 0, 0)


# --- final audit and re-verification ----------------------------------------------------------


def test_it_gives_eligible_at_exactly_100_percent():
    assert final_audit_outcome(F(1)) == "eligible"


def test_it_gives_correction_just_above_75_percent():
    assert final_audit_outcome(F(751, 1000)) == "correction"
    assert final_audit_outcome(F(99, 100)) == "correction"


def test_it_gives_not_eligible_at_exactly_75_percent():
    assert final_audit_outcome(F(3, 4)) == "not_eligible"
    assert final_audit_outcome(F(6, 8)) == "not_eligible"


def test_it_gives_not_eligible_below_75_percent():
    assert final_audit_outcome(F(0)) == "not_eligible"
    assert final_audit_outcome(F(1, 2)) == "not_eligible"


def test_it_gives_not_assessable_without_compliance():
    assert final_audit_outcome(None) == "not_assessable"


def test_it_applies_an_agreements_own_thresholds():
    lenient = CertificationSettings(eligible_at=F(9, 10), correction_above=F(1, 2))
    assert final_audit_outcome(F(9, 10), lenient) == "eligible"
    assert final_audit_outcome(F(3, 4), lenient) == "correction"
    assert final_audit_outcome(F(1, 2), lenient) == "not_eligible"


def test_it_accepts_decimals_and_ints_but_not_floats():
    assert final_audit_outcome(Decimal("0.8")) == "correction"
    assert final_audit_outcome(1) == "eligible"
    with pytest.raises(TypeError):
        final_audit_outcome(0.8)
    with pytest.raises(TypeError):
        CertificationSettings(correction_above=0.75)


def test_it_refuses_a_compliance_outside_0_and_1():
    with pytest.raises(ValueError):
        final_audit_outcome(F(5, 4))


def test_it_refuses_inconsistent_settings():
    with pytest.raises(ValueError):
        CertificationSettings(eligible_at=F(3, 4), correction_above=F(4, 5))
    with pytest.raises(ValueError):
        CertificationSettings(objection_days=-1)
    with pytest.raises(ValueError):
        CertificationSettings(maintenance_every_days=0)
    with pytest.raises(ValueError):
        CertificationSettings(validity_years=0)


def test_it_stores_settings_thresholds_as_fractions():
    settings = CertificationSettings(eligible_at=Decimal("0.95"), correction_above=0)
    assert settings.eligible_at == F(19, 20) and type(settings.eligible_at) is Fraction
    assert settings.correction_above == 0 and type(settings.correction_above) is Fraction
    with pytest.raises(ValueError):  # 3 > 0.95
        CertificationSettings(eligible_at=Decimal("0.95"), correction_above=3)


def test_it_keeps_the_default_settings_of_the_brief():
    assert (
        CertificationSettings(
            eligible_at=F(1),
            correction_above=F(3, 4),
            correction_days=90,
            objection_days=90,
            silence_is_consent=True,
            validity_years=3,
            maintenance_every_days=365,
            maintenance_grace_days=30,
        )
        == DEFAULT_SETTINGS
    )


# The final audit of doc example 2: twelve actions, two not applicable, two failed.
FINAL = items(
    a1_1=True,
    a1_2=True,
    a1_3=True,
    a1_4=False,
    a1_5=True,
    a1_6=NA,
    a2_1=True,
    a2_2=True,
    a2_3=False,
    a2_4=True,
    a2_5=True,
    a2_6=NA,
)


def test_it_reproduces_doc_example_2_correction_and_reverification():
    assert facility_compliance(FINAL) == F(8, 10) == F(4, 5)
    assert final_audit_outcome(facility_compliance(FINAL)) == "correction"
    audited_on = date(2024, 3, 15)
    assert audited_on + timedelta(days=DEFAULT_SETTINGS.correction_days) == date(2024, 6, 13)

    both_fixed = after_reverification(FINAL, items(a1_4=True, a2_3=True))
    assert facility_compliance(both_fixed) == 1
    assert final_audit_outcome(facility_compliance(both_fixed)) == "eligible"

    one_fixed = after_reverification(FINAL, items(a1_4=True, a2_3=False))
    assert facility_compliance(one_fixed) == F(9, 10)
    assert final_audit_outcome(facility_compliance(one_fixed)) == "correction"


def test_it_reproduces_doc_example_2_at_exactly_75_percent():
    final = items(a1_1=True, a1_2=True, a1_3=False, a1_4=True, a1_5=True, a1_6=False, a1_7=True)
    final += items(a2_1=True, a2_2=NA)
    assert facility_compliance(final) == F(6, 8) == F(3, 4)
    assert final_audit_outcome(facility_compliance(final)) == "not_eligible"


def test_it_keeps_the_final_audit_order_and_unverified_items():
    result = after_reverification(FINAL, items(a2_3=True))
    assert [i.action_code for i in result] == [i.action_code for i in FINAL]
    assert result[3] == item("1.4", False)
    assert result[8] == item("2.3", True)
    assert after_reverification(FINAL, ()) == FINAL


def test_it_lets_a_reverification_replace_the_finding_as_given():
    result = after_reverification(FINAL, items(a1_6=True))  # found applicable after all
    assert result[5] == item("1.6", True)
    assert facility_compliance(result) == F(9, 11)


def test_it_refuses_a_reverified_action_missing_from_the_final_audit():
    with pytest.raises(ValueError, match=r"action 3\.1\b"):
        after_reverification(FINAL, items(a1_4=True, a3_1=True))


def test_it_refuses_a_reverified_action_under_another_goal():
    with pytest.raises(ValueError, match=r"action 1\.4\b"):
        after_reverification(FINAL, (AuditItem("1.4", "2", True, True),))


def test_it_refuses_an_action_reverified_twice():
    with pytest.raises(ValueError, match=r"action 1\.4\b"):
        after_reverification(FINAL, (item("1.4", True), item("1.4", False)))


# --- regulators' consultation -----------------------------------------------------------------

CONSULTED = date(2024, 3, 1)
LAST_DAY = date(2024, 5, 30)  # 2024-03-01 + 90 days
REGULATORS = ("SEREMI de Salud", "SAG", "DGA")
STRICT = CertificationSettings(silence_is_consent=False)


def state(today, objections=(), answers=None, regulators=REGULATORS, settings=DEFAULT_SETTINGS):
    return consultation_state(
        CONSULTED, today, objections, regulators, answers or {}, settings=settings
    )


def test_it_reproduces_doc_example_3_regulator_objection():
    assert CONSULTED + timedelta(days=90) == LAST_DAY
    answers = {"SAG": True}
    assert state(date(2024, 4, 20), answers=answers) == "open"

    objection = Objection("SEREMI de Salud", date(2024, 5, 2), "RIL sobre norma DS 90")
    assert state(date(2024, 5, 1), [objection], answers) == "open"  # not yet made
    assert state(date(2024, 5, 10), [objection], answers) == "objected"
    assert state(date(2024, 9, 1), [objection], answers) == "objected"

    on_last_day = replace(objection, on=LAST_DAY)
    assert state(LAST_DAY, [on_last_day], answers) == "objected"

    late = replace(objection, on=date(2024, 6, 3))
    assert state(date(2024, 6, 10), [late], answers) == "cleared"
    assert state(date(2024, 6, 10), [late], answers, settings=STRICT) == "expired_without_answer"


def test_it_ignores_an_objection_dated_before_the_consultation():
    early = Objection("SAG", CONSULTED - timedelta(days=1), "")
    assert state(date(2024, 4, 1), [early]) == "open"


def test_it_clears_when_every_regulator_declares_no_objection():
    answers = dict.fromkeys(REGULATORS, True)
    assert state(date(2024, 3, 20), answers=answers) == "cleared"
    assert state(date(2024, 3, 20), answers=answers, settings=STRICT) == "cleared"


def test_it_counts_a_false_answer_as_no_declaration():
    answers = {"SEREMI de Salud": True, "SAG": True, "DGA": False}
    assert state(date(2024, 3, 20), answers=answers) == "open"
    assert state(date(2024, 6, 1), answers=answers, settings=STRICT) == "expired_without_answer"


def test_it_keeps_the_window_open_on_its_last_day():
    assert state(LAST_DAY) == "open"
    assert state(LAST_DAY, settings=STRICT) == "open"


def test_it_takes_silence_as_consent_once_the_window_is_over():
    assert state(LAST_DAY + timedelta(days=1)) == "cleared"


def test_it_expires_without_answer_when_silence_is_not_consent():
    assert state(LAST_DAY + timedelta(days=1), settings=STRICT) == "expired_without_answer"


def test_it_clears_a_consultation_without_regulators():
    assert state(CONSULTED, regulators=()) == "cleared"
    assert state(CONSULTED, regulators=(), settings=STRICT) == "cleared"


def test_it_uses_an_agreements_own_window():
    short = CertificationSettings(objection_days=30, silence_is_consent=False)
    objection = Objection("DGA", date(2024, 4, 5), "")
    assert state(date(2024, 4, 10), [objection], settings=short) == "expired_without_answer"


# --- certificates -----------------------------------------------------------------------------

ISSUED = date(2021, 6, 15)
VALID_UNTIL = date(2024, 6, 15)
FIRST = MaintenanceAudit(date(2022, 6, 1), passed=True)
FAILED = MaintenanceAudit(date(2023, 6, 10), passed=False)
REAUDIT = MaintenanceAudit(date(2023, 7, 5), passed=True)


def status(today, maintenance=(FIRST, FAILED, REAUDIT), revoked_on=None, **overrides):
    return certificate_status(
        issued_on=ISSUED,
        valid_until=VALID_UNTIL,
        today=today,
        revoked_on=revoked_on,
        maintenance=maintenance,
        settings=CertificationSettings(**overrides),
    )


VALID_STATE = CertificateState("valid", "", None)


def test_it_adds_the_validity_years_to_the_issue_date():
    assert certificate_valid_until(ISSUED) == VALID_UNTIL
    assert certificate_valid_until(ISSUED, CertificationSettings(validity_years=2)) == date(
        2023, 6, 15
    )


def test_it_reproduces_doc_example_5_leap_day():
    assert certificate_valid_until(date(2024, 2, 29)) == date(2027, 2, 28)
    assert certificate_valid_until(date(2024, 2, 29), CertificationSettings(validity_years=4)) == (
        date(2028, 2, 29)
    )
    assert certificate_valid_until(date(2023, 3, 1)) == date(2026, 3, 1)


def test_it_reproduces_doc_example_4_suspended_certificate():
    assert ISSUED + timedelta(days=365) == date(2022, 6, 15)
    assert ISSUED + timedelta(days=730) == date(2023, 6, 15)
    assert ISSUED + timedelta(days=1095) == date(2024, 6, 14)

    assert status(date(2022, 7, 1)) == VALID_STATE
    assert status(date(2023, 6, 20)) == CertificateState(
        "suspended", "maintenance_failed", date(2023, 6, 10)
    )
    assert status(date(2023, 8, 1)) == VALID_STATE
    assert status(VALID_UNTIL) == VALID_STATE
    assert status(date(2024, 6, 16)) == CertificateState(
        "expired", "validity_ended", date(2024, 6, 16)
    )

    only_first = (FIRST,)
    assert status(date(2023, 7, 15), only_first) == VALID_STATE
    assert status(date(2023, 7, 16), only_first) == CertificateState(
        "suspended", "maintenance_missing", date(2023, 7, 16)
    )

    never_reaudited = (FIRST, FAILED)
    assert status(date(2023, 8, 1), never_reaudited) == CertificateState(
        "suspended", "maintenance_failed", date(2023, 6, 10)
    )

    assert status(date(2024, 2, 1), revoked_on=date(2024, 1, 10)) == CertificateState(
        "revoked", "revoked", date(2024, 1, 10)
    )


def test_it_is_valid_with_no_audit_due_yet():
    assert status(ISSUED, ()) == VALID_STATE
    assert status(date(2022, 7, 15), ()) == VALID_STATE  # last day of the first grace period


def test_it_suspends_for_the_first_missing_audit():
    assert status(date(2022, 7, 16), ()) == CertificateState(
        "suspended", "maintenance_missing", date(2022, 7, 16)
    )
    assert status(date(2024, 1, 1), ()) == CertificateState(
        "suspended", "maintenance_missing", date(2022, 7, 16)
    )


def test_it_counts_an_audit_in_the_grace_period():
    late_but_in_grace = MaintenanceAudit(date(2022, 7, 15), passed=True)
    assert status(date(2022, 8, 1), (late_but_in_grace,)) == VALID_STATE


def test_it_does_not_count_an_audit_after_the_grace_period():
    too_late = MaintenanceAudit(date(2022, 7, 16), passed=True)
    assert status(date(2022, 8, 1), (too_late,)) == CertificateState(
        "suspended", "maintenance_missing", date(2022, 7, 16)
    )
    # Nor does it lift the suspension later: reinstatement is not decided by this method.
    assert status(date(2023, 7, 1), (too_late,)).since == date(2022, 7, 16)


def test_it_counts_an_audit_in_a_grace_period_for_the_next_anniversary_too():
    # The windows (previous anniversary, anniversary + grace] overlap in the grace period.
    in_grace = MaintenanceAudit(date(2022, 7, 10), passed=True)
    assert status(date(2023, 7, 16), (in_grace,)) == VALID_STATE
    assert status(date(2024, 6, 15), (in_grace,)) == VALID_STATE  # third anniversary not judged


def test_it_does_not_count_an_audit_on_or_before_the_issue_date():
    certification = MaintenanceAudit(ISSUED, passed=True)
    assert status(date(2022, 8, 1), (certification,)).reason == "maintenance_missing"
    old_failure = MaintenanceAudit(ISSUED - timedelta(days=10), passed=False)
    assert status(date(2022, 6, 1), (old_failure,)) == VALID_STATE


def test_it_ignores_audits_after_today():
    assert status(date(2022, 5, 1), (MaintenanceAudit(date(2022, 5, 2), False),)) == VALID_STATE


def test_it_lets_a_later_pass_lift_a_failure():
    assert status(date(2023, 7, 5)) == VALID_STATE
    assert status(date(2023, 7, 4)).status == "suspended"


def test_it_suspends_from_the_first_of_consecutive_failures():
    second_failure = MaintenanceAudit(date(2023, 6, 25), passed=False)
    assert status(date(2023, 7, 1), (FIRST, FAILED, second_failure)).since == date(2023, 6, 10)


def test_it_takes_audits_of_one_day_in_the_order_given():
    failed, passed = MaintenanceAudit(date(2022, 6, 1), False), FIRST
    assert status(date(2022, 6, 2), (failed, passed)) == VALID_STATE
    assert status(date(2022, 6, 2), (passed, failed)).reason == "maintenance_failed"


def test_it_gives_the_earlier_of_a_missing_audit_and_a_failure():
    # The first audit is missing (since 2022-07-16); a failure on 2023-06-10 comes later.
    assert status(date(2023, 7, 1), (FAILED,)) == CertificateState(
        "suspended", "maintenance_missing", date(2022, 7, 16)
    )


def test_it_needs_no_audit_for_an_anniversary_at_the_end_of_validity():
    two_years = certificate_status(
        issued_on=date(2022, 1, 1),
        valid_until=date(2023, 1, 1),
        today=date(2023, 1, 1),
        revoked_on=None,
        maintenance=(),
        settings=CertificationSettings(maintenance_grace_days=0),
    )
    assert two_years == VALID_STATE  # the anniversary 2023-01-01 is not before valid_until


def test_it_uses_an_agreements_own_maintenance_rhythm():
    assert status(date(2021, 12, 28), (), maintenance_every_days=180, maintenance_grace_days=0) == (
        CertificateState("suspended", "maintenance_missing", date(2021, 12, 13))
    )


def test_it_revokes_from_the_revocation_date_over_everything():
    assert status(date(2024, 1, 9), revoked_on=date(2024, 1, 10)) == VALID_STATE
    assert status(date(2024, 1, 10), revoked_on=date(2024, 1, 10)).status == "revoked"
    assert status(date(2025, 1, 1), revoked_on=date(2024, 1, 10)).status == "revoked"
    assert status(date(2023, 6, 20), revoked_on=date(2023, 6, 15)).status == "revoked"


def test_it_expires_the_day_after_validity_ends():
    assert status(date(2030, 1, 1), ()) == CertificateState(
        "expired", "validity_ended", date(2024, 6, 16)
    )


def test_it_refuses_inconsistent_certificate_dates():
    with pytest.raises(ValueError):
        certificate_status(issued_on=ISSUED, valid_until=date(2021, 1, 1), today=ISSUED)
    with pytest.raises(ValueError):
        certificate_status(issued_on=ISSUED, valid_until=VALID_UNTIL, today=date(2021, 1, 1))


def test_it_uses_only_known_statuses_and_reasons():
    for today in (date(2022, 7, 1), date(2023, 6, 20), date(2023, 7, 16), date(2025, 1, 1)):
        result = status(today, (FIRST, FAILED))
        assert result.status in CERTIFICATE_STATUSES
        assert result.reason in REASONS
