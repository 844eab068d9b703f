"""Property tests of the compliance and certification method (hypothesis)."""

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ..method import (
    CERTIFICATE_STATUSES,
    CONSULTATION_STATES,
    REASONS,
    AuditItem,
    CertificationSettings,
    FacilityAudit,
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
    natural_key,
    sort_key,
)

START = date(2020, 1, 1)
COMPANIES = ("76.111.111-1", "96.222.222-2", "77.333.333-K")

codes = st.tuples(st.integers(1, 4), st.integers(1, 12)).map(lambda t: f"{t[0]}.{t[1]}")
findings = st.sampled_from([True, False, None])  # None: the action does not apply


def make_item(code, finding):
    goal = code.split(".")[0]  # an action always belongs to the same goal
    if finding is None:
        return AuditItem(code, goal, applies=False, complies=None)
    return AuditItem(code, goal, applies=True, complies=finding)


item_lists = st.dictionaries(codes, findings, max_size=20).map(
    lambda found: tuple(make_item(code, finding) for code, finding in found.items())
)


@st.composite
def sectors(draw):
    count = draw(st.integers(0, 6))
    return {
        f"P-{n}": FacilityAudit(f"P-{n}", draw(st.sampled_from(COMPANIES)), draw(item_lists))
        for n in range(1, count + 1)
    }


def not_assessable(code, tax_id, items):
    """A facility audited on the same actions, none of which applies there."""
    return FacilityAudit(code, tax_id, tuple(make_item(i.action_code, None) for i in items))


def in_unit_interval(value):
    return value is None or (isinstance(value, Fraction) and 0 <= value <= 1)


@given(item_lists, st.sampled_from(["1", "2", "3", "4"]))
def test_it_keeps_facility_and_goal_compliance_between_0_and_1(items, goal):
    assert in_unit_interval(facility_compliance(items))
    assert in_unit_interval(goal_compliance(items, goal))


@given(item_lists)
def test_it_is_not_assessable_exactly_when_nothing_applies(items):
    assert (facility_compliance(items) is None) == (not any(i.applies for i in items))


@given(item_lists, st.integers(1, 4))
def test_it_never_lowers_facility_compliance_with_a_complying_item(items, goal):
    before = facility_compliance(items)
    after = facility_compliance((*items, AuditItem(f"{goal}.99", str(goal), True, True)))
    assert after is not None
    assert before is None or after >= before


@given(item_lists, st.integers(1, 4))
def test_it_never_raises_facility_compliance_with_a_failing_item(items, goal):
    before = facility_compliance(items)
    after = facility_compliance((*items, AuditItem(f"{goal}.99", str(goal), True, False)))
    assert before is None or after <= before


@given(sectors())
def test_it_keeps_every_report_figure_between_0_and_1(sector):
    report = consolidated_report(sector)
    assert in_unit_interval(report.compliance)
    lines = (*report.facilities, *report.companies, *report.goals, *report.actions)
    assert all(in_unit_interval(line.compliance) for line in lines)


@given(sectors())
def test_it_reports_the_facility_figures_of_facility_compliance(sector):
    report = consolidated_report(sector)
    assert len(report.facilities) == len(sector)
    for line in report.facilities:
        audit = sector[line.facility_code]
        assert line.compliance == facility_compliance(audit.items)
        assert line.company_tax_id == audit.company_tax_id
        assert line.applicable == sum(1 for i in audit.items if i.applies)
        assert line.complying == sum(1 for i in audit.items if i.complies)


@given(sectors())
def test_it_reports_the_figures_of_the_separate_functions(sector):
    report = consolidated_report(sector)
    audits = list(sector.values())
    assert report.compliance == agreement_compliance(audits)
    for line in report.companies:
        mine = [a for a in audits if a.company_tax_id == line.tax_id]
        assert line.compliance == company_compliance(mine)
        assert line.facilities == len(mine)
    for line in report.actions:
        assert line.compliance == action_compliance(audits, line.code)


@given(sectors())
def test_it_orders_every_report_list_naturally(sector):
    report = consolidated_report(sector)
    for keys in (
        [line.facility_code for line in report.facilities],
        [line.tax_id for line in report.companies],
        [line.code for line in report.goals],
        [line.code for line in report.actions],
    ):
        assert keys == sorted(keys, key=natural_key)


# codes as people write them: letters of any case and script, digits with leading zeros,
# punctuation, empty runs between numbers
code_texts = st.text(
    alphabet=st.sampled_from(list("aAbBzZ-._ /0123456789ñÑéÉ€Ωß")) | st.characters(),
    max_size=12,
)


@given(st.lists(code_texts, max_size=12))
def test_the_stored_sort_key_orders_as_the_natural_key(codes):
    """What the database orders by (`sort_key`, compared as text) is the natural order."""
    assert sorted(codes, key=sort_key) == sorted(codes, key=natural_key)


@given(code_texts, code_texts)
def test_the_stored_sort_key_compares_as_the_natural_key(a, b):
    assert (sort_key(a) < sort_key(b)) == (natural_key(a) < natural_key(b))
    assert (sort_key(a) == sort_key(b)) == (a == b)
    assert set(sort_key(a)) <= set("0123456789abcdef")  # the same in any collation


@given(sectors(), item_lists, st.sampled_from(COMPANIES))
def test_it_never_counts_a_facility_where_nothing_applies(sector, items, tax_id):
    extra = not_assessable("P-99", tax_id, items)
    audits = list(sector.values())
    assert agreement_compliance([*audits, extra]) == agreement_compliance(audits)
    mine = [a for a in audits if a.company_tax_id == tax_id]
    assert company_compliance([*mine, extra]) == company_compliance(mine)

    before, after = consolidated_report(sector), consolidated_report({**sector, "P-99": extra})
    assert after.compliance == before.compliance
    assert [(g.code, g.compliance) for g in after.goals if g.compliance is not None] == [
        (g.code, g.compliance) for g in before.goals if g.compliance is not None
    ]
    before_actions = {a.code: a.compliance for a in before.actions}
    for line in after.actions:
        assert line.compliance == before_actions.get(line.code)


numbers = st.lists(st.integers(0, 10**6), min_size=1, max_size=4)


@given(numbers, numbers)
def test_it_sorts_dotted_numbers_like_number_tuples(left, right):
    left_code, right_code = ".".join(map(str, left)), ".".join(map(str, right))
    assert (natural_key(left_code) < natural_key(right_code)) == (tuple(left) < tuple(right))


@given(st.fractions(0, 1), st.fractions(0, 1))
def test_it_never_gives_a_worse_outcome_for_a_higher_compliance(low, high):
    low, high = min(low, high), max(low, high)
    rank = {"not_eligible": 0, "correction": 1, "eligible": 2}
    assert rank[final_audit_outcome(low)] <= rank[final_audit_outcome(high)]


@given(item_lists, st.data())
def test_it_makes_a_facility_eligible_when_every_failure_is_corrected(items, data):
    failed = [i for i in items if i.applies and not i.complies]
    fixed = after_reverification(items, [make_item(i.action_code, True) for i in failed])
    compliance = facility_compliance(fixed)
    assert compliance is None or compliance == 1
    partly = data.draw(st.lists(st.sampled_from(failed), unique=True) if failed else st.just([]))
    partial = after_reverification(items, [make_item(i.action_code, True) for i in partly])
    before = facility_compliance(items)
    assert before is None or facility_compliance(partial) >= before


dates = st.integers(0, 3000).map(lambda n: START + timedelta(days=n))


@given(
    dates,
    st.integers(0, 200),
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(-30, 200)), max_size=3),
    st.lists(st.sampled_from("ABCD"), max_size=4),
    st.dictionaries(st.sampled_from("ABCD"), st.booleans()),
    st.booleans(),
)
def test_it_objects_exactly_when_an_objection_falls_in_the_window_so_far(
    consulted_on, elapsed, raw_objections, regulators, answers, silence
):
    settings = CertificationSettings(silence_is_consent=silence)
    today = consulted_on + timedelta(days=elapsed)
    objections = [Objection(r, consulted_on + timedelta(days=d), "") for r, d in raw_objections]
    result = consultation_state(consulted_on, today, objections, regulators, answers, settings)
    assert result in CONSULTATION_STATES
    counted = [d for _, d in raw_objections if 0 <= d <= min(90, elapsed)]
    assert (result == "objected") == bool(counted)
    if result == "expired_without_answer":
        assert not silence and elapsed > 90


@given(dates, st.integers(1, 10))
def test_it_ends_validity_on_the_same_day_or_the_day_before(issued_on, years):
    until = certificate_valid_until(issued_on, CertificationSettings(validity_years=years))
    assert until.year == issued_on.year + years
    assert (until.month, until.day) in {(issued_on.month, issued_on.day), (2, 28)}


@given(
    dates,
    st.integers(0, 1500),
    st.lists(st.tuples(st.integers(-10, 1500), st.booleans()), max_size=6),
    st.none() | st.integers(-10, 1500),
)
def test_it_gives_a_known_certificate_state(issued_on, elapsed, raw_audits, revoked_after):
    valid_until = certificate_valid_until(issued_on)
    today = issued_on + timedelta(days=elapsed)
    maintenance = [MaintenanceAudit(issued_on + timedelta(days=d), p) for d, p in raw_audits]
    revoked_on = None if revoked_after is None else issued_on + timedelta(days=revoked_after)
    result = certificate_status(
        issued_on=issued_on,
        valid_until=valid_until,
        today=today,
        revoked_on=revoked_on,
        maintenance=maintenance,
    )
    assert result.status in CERTIFICATE_STATUSES
    assert result.reason in REASONS
    if result.status == "valid":
        assert result.since is None and result.reason == ""
    else:
        assert result.since is not None and result.since <= today
    if revoked_on is not None and revoked_on <= today:
        assert result.status == "revoked"
    elif today > valid_until:
        assert result.status == "expired"
    # Yearly passes inside every window keep a certificate valid while it lasts.
    yearly = [MaintenanceAudit(issued_on + timedelta(days=365 * k), True) for k in range(1, 4)]
    kept = certificate_status(
        issued_on=issued_on,
        valid_until=valid_until,
        today=min(today, valid_until),
        maintenance=yearly,
    )
    assert kept.status == "valid"
