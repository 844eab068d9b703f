"""The compliance and certification rules of Clean Production Agreements, in plain Python.

A Clean Production Agreement (APL, *Acuerdo de Producción Limpia*; NCh2797 and NCh2807) binds
the adhering companies of a sector to goals, each made of actions. An auditor checks every action
at every adhering facility: it either does not apply there, or it applies and the facility
complies or not. This module turns those audit items into compliance figures (per facility, goal,
company, action and for the whole agreement), classifies a final audit, and follows a
certificate through the regulators' consultation, its maintenance audits and its end.

The Django side converts audits to :class:`AuditItem` and :class:`FacilityAudit` objects and
calls these functions; the method is documented for council staff, environmental managers and
auditors in ``docs/compliance.md``.

Every figure is an exact :class:`~fractions.Fraction`: "100 %" must mean every applicable item
and nothing less, and a threshold such as "above 75 %" must not depend on how 3/4 rounds. Nothing
is rounded here; callers round for display. A figure is ``None`` ("not assessable") when nothing
applies: a facility where no action applies has not complied with everything, it has simply not
been measured, so it never counts as 100 % and never enters a mean.
"""

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

# Outcomes of a final audit.
ELIGIBLE = "eligible"
CORRECTION = "correction"
NOT_ELIGIBLE = "not_eligible"
NOT_ASSESSABLE = "not_assessable"
OUTCOMES = (ELIGIBLE, CORRECTION, NOT_ELIGIBLE, NOT_ASSESSABLE)

# States of the regulators' consultation.
OBJECTED = "objected"
CLEARED = "cleared"
OPEN = "open"
EXPIRED_WITHOUT_ANSWER = "expired_without_answer"
CONSULTATION_STATES = (OBJECTED, CLEARED, OPEN, EXPIRED_WITHOUT_ANSWER)

# Certificate statuses and the machine keys of their reasons (the Django side translates them).
VALID = "valid"
SUSPENDED = "suspended"
REVOKED = "revoked"
EXPIRED = "expired"
CERTIFICATE_STATUSES = (VALID, SUSPENDED, REVOKED, EXPIRED)

NO_REASON = ""
MAINTENANCE_FAILED = "maintenance_failed"
MAINTENANCE_MISSING = "maintenance_missing"
REVOKED_REASON = "revoked"
VALIDITY_ENDED = "validity_ended"
REASONS = (NO_REASON, MAINTENANCE_FAILED, MAINTENANCE_MISSING, REVOKED_REASON, VALIDITY_ENDED)

_ZERO = Fraction(0)
_ONE = Fraction(1)
_ONE_DAY = timedelta(days=1)
_DIGITS = re.compile(r"(\d+)")


def _exact(value: object, name: str) -> Fraction:
    """``value`` as a Fraction; floats are refused because they cannot hold 3/4 or 0.8 exactly."""
    if isinstance(value, bool) or not isinstance(value, Fraction | int | Decimal):
        raise TypeError(f"{name} must be a Fraction, int or Decimal, got {value!r}")
    return Fraction(value)


@dataclass(frozen=True)
class CertificationSettings:
    """The certification parameters of an agreement; each agreement may override any of them."""

    eligible_at: Fraction = Fraction(1)  # final audit at or above → eligible for certification
    correction_above: Fraction = Fraction(3, 4)  # strictly above → a correction period is allowed
    correction_days: int = 90  # default deadline the auditor sets for the corrections
    objection_days: int = 90  # the regulators' consultation window
    silence_is_consent: bool = True  # a regulator silent at the end of the window consents
    validity_years: int = 3
    maintenance_every_days: int = 365  # a maintenance audit is due every this many days
    maintenance_grace_days: int = 30

    def __post_init__(self) -> None:
        eligible_at = _exact(self.eligible_at, "eligible_at")
        correction_above = _exact(self.correction_above, "correction_above")
        if not _ZERO <= correction_above <= eligible_at <= _ONE:
            raise ValueError(
                "expected 0 <= correction_above <= eligible_at <= 1, got "
                f"correction_above={correction_above}, eligible_at={eligible_at}"
            )
        object.__setattr__(self, "eligible_at", eligible_at)
        object.__setattr__(self, "correction_above", correction_above)
        for name in ("correction_days", "objection_days", "maintenance_grace_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("validity_years", "maintenance_every_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


DEFAULT_SETTINGS = CertificationSettings()


@dataclass(frozen=True)
class AuditItem:
    """The auditor's finding on one goal-action of the agreement at one facility."""

    action_code: str
    goal_code: str
    applies: bool
    complies: bool | None  # None exactly when the action does not apply

    def __post_init__(self) -> None:
        # An applicable item left blank would silently count as "not complying" or be dropped;
        # either would change the figure, so the audit must say which it is.
        if self.applies is True:
            if not isinstance(self.complies, bool):
                raise ValueError(
                    f"action {self.action_code}: an item that applies must say whether the "
                    f"facility complies (True or False), got {self.complies!r}"
                )
        elif self.applies is False:
            if self.complies is not None:
                raise ValueError(
                    f"action {self.action_code}: an item that does not apply cannot comply or "
                    f"fail, got complies={self.complies!r}"
                )
        else:
            raise ValueError(
                f"action {self.action_code}: applies must be True or False, got {self.applies!r}"
            )


@dataclass(frozen=True)
class FacilityAudit:
    """All the audit items of one facility (one item per action of the agreement)."""

    facility_code: str
    company_tax_id: str  # RUT of the company that owns the facility
    items: tuple[AuditItem, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        _check_unique_actions(self.items)


@dataclass(frozen=True)
class FacilityLine:
    facility_code: str
    company_tax_id: str
    compliance: Fraction | None  # complying / applicable; None when nothing applies
    applicable: int
    complying: int


@dataclass(frozen=True)
class CompanyLine:
    tax_id: str
    compliance: Fraction | None  # mean over its assessable facilities
    facilities: int  # audited facilities of the company, assessable or not


@dataclass(frozen=True)
class GoalLine:
    code: str
    compliance: Fraction | None  # mean of the facilities' goal compliances (assessable ones)


@dataclass(frozen=True)
class ActionLine:
    code: str
    goal_code: str
    compliance: Fraction | None  # complying / applicable facilities; None when it applies nowhere
    applicable_facilities: int
    complying_facilities: int


@dataclass(frozen=True)
class ConsolidatedReport:
    compliance: Fraction | None  # the agreement's: mean over the assessable facilities
    facilities: tuple[FacilityLine, ...]
    companies: tuple[CompanyLine, ...]
    goals: tuple[GoalLine, ...]
    actions: tuple[ActionLine, ...]


@dataclass(frozen=True)
class Objection:
    regulator: str
    on: date
    reason: str


@dataclass(frozen=True)
class MaintenanceAudit:
    date: date
    passed: bool


@dataclass(frozen=True)
class CertificateState:
    status: str  # one of CERTIFICATE_STATUSES
    reason: str  # one of REASONS ("" when valid)
    since: date | None  # first day of the status; None when valid


def natural_key(code: str) -> tuple:
    """A sort key that orders the numbers inside codes by value: "1.2" < "1.10" < "2.1".

    Splitting on digit runs alternates text and numbers at fixed positions, so two keys never
    compare a number with a text. Text compares case-insensitively; the code itself breaks the
    remaining ties ("01" and "1"), so the order is total and does not depend on input order.
    """
    parts = _DIGITS.split(code)
    return (
        tuple(int(part) if i % 2 else part.casefold() for i, part in enumerate(parts)),
        code,
    )


def _chars(text: str) -> str:
    # each character as a code of fixed width within its range, the ranges in order: "1" and 2
    # hex digits below U+0100, "2" and 4 below U+10000, "3" and 6 above
    out = []
    for char in text:
        point = ord(char)
        if point < 0x100:
            out.append(f"1{point:02x}")
        elif point < 0x10000:
            out.append(f"2{point:04x}")
        else:
            out.append(f"3{point:06x}")
    return "".join(out)


def sort_key(code: str) -> str:
    """:func:`natural_key` as a text a database can order by: two codes compare as their
    natural keys do, character by character ("1.2" < "1.10"), with no collation needed, since
    the text is made of the digits and the letters a–f only.

    Each text part is its casefolded characters (:func:`_chars`) and a ``0``; each number
    part a ``1``, its count of digits in two hex digits and its digits (a longer number is
    larger); a ``0`` ends the parts (so that "a" < "a1"), and the code's own characters break
    the remaining ties as natural_key does.
    """
    parts = _DIGITS.split(code)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            digits = str(int(part))  # any script's digits, as natural_key reads them
            out.append(f"1{len(digits):02x}{digits}")
        else:
            out.append(_chars(part.casefold()) + "0")
    out.append("0")
    out.append(_chars(code))
    return "".join(out)


def _check_unique_actions(items: Iterable[AuditItem]) -> None:
    # Two findings for one action at one facility would count that action twice.
    seen: set[str] = set()
    for item in items:
        if item.action_code in seen:
            raise ValueError(f"action {item.action_code} is audited twice at the same facility")
        seen.add(item.action_code)


def _share(items: Sequence[AuditItem]) -> tuple[Fraction | None, int, int]:
    applicable = [item for item in items if item.applies]
    complying = sum(1 for item in applicable if item.complies)
    if not applicable:
        return None, 0, 0
    return Fraction(complying, len(applicable)), len(applicable), complying


def facility_compliance(items: Iterable[AuditItem]) -> Fraction | None:
    """Items that apply and comply / items that apply; None when nothing applies."""
    items = tuple(items)
    _check_unique_actions(items)
    return _share(items)[0]


def goal_compliance(items: Iterable[AuditItem], goal_code: str) -> Fraction | None:
    """A facility's compliance with one goal: the same share, over that goal's items only."""
    items = tuple(items)
    _check_unique_actions(items)
    return _share([item for item in items if item.goal_code == goal_code])[0]


def mean_compliance(values: Iterable[Fraction | None]) -> Fraction | None:
    """The plain mean of the assessable values (None left out); None when none is assessable.

    Each facility weighs the same whatever its number of applicable actions: a small plant with
    four applicable actions is not drowned by a large one with forty.
    """
    assessable = [value for value in values if value is not None]
    if not assessable:
        return None
    return sum(assessable, _ZERO) / len(assessable)


def company_compliance(audits: Iterable[FacilityAudit]) -> Fraction | None:
    """Mean of the compliances of one company's facilities (the assessable ones)."""
    audits = tuple(audits)
    tax_ids = {audit.company_tax_id for audit in audits}
    if len(tax_ids) > 1:
        raise ValueError(f"facilities of several companies given: {sorted(tax_ids)}")
    return mean_compliance(facility_compliance(audit.items) for audit in audits)


def agreement_compliance(audits: Iterable[FacilityAudit]) -> Fraction | None:
    """Mean of the compliances of the audited facilities (the assessable ones)."""
    return mean_compliance(facility_compliance(audit.items) for audit in audits)


def action_compliance(audits: Iterable[FacilityAudit], action_code: str) -> Fraction | None:
    """Share of the facilities where the action applies that comply with it."""
    findings = [
        item.complies
        for audit in audits
        for item in audit.items
        if item.action_code == action_code and item.applies
    ]
    if not findings:
        return None
    return Fraction(sum(1 for complies in findings if complies), len(findings))


def consolidated_report(facilities: Mapping[str, FacilityAudit]) -> ConsolidatedReport:
    """The agreement's consolidated compliance report, every list in natural order of its code.

    ``facilities`` maps each audited facility's code to its audit; facilities not audited are
    simply not given. Goals and actions are those found in the items.
    """
    audits = []
    for code, audit in facilities.items():
        if code != audit.facility_code:
            raise ValueError(f"facility {code!r} is given the audit of {audit.facility_code!r}")
        audits.append(audit)
    audits.sort(key=lambda audit: natural_key(audit.facility_code))

    facility_lines = []
    by_company: dict[str, list[Fraction | None]] = {}
    by_goal: dict[str, list[Fraction | None]] = {}
    goal_of_action: dict[str, str] = {}
    for audit in audits:
        compliance, applicable, complying = _share(audit.items)
        facility_lines.append(
            FacilityLine(
                audit.facility_code, audit.company_tax_id, compliance, applicable, complying
            )
        )
        by_company.setdefault(audit.company_tax_id, []).append(compliance)
        for item in audit.items:
            goal = goal_of_action.setdefault(item.action_code, item.goal_code)
            if goal != item.goal_code:
                raise ValueError(
                    f"action {item.action_code} belongs to goal {goal} at one facility and to "
                    f"goal {item.goal_code} at another"
                )
        for goal in {item.goal_code for item in audit.items}:
            by_goal.setdefault(goal, []).append(goal_compliance(audit.items, goal))

    company_lines = tuple(
        CompanyLine(tax_id, mean_compliance(values), len(values))
        for tax_id, values in sorted(by_company.items(), key=lambda kv: natural_key(kv[0]))
    )
    goal_lines = tuple(
        GoalLine(goal, mean_compliance(values))
        for goal, values in sorted(by_goal.items(), key=lambda kv: natural_key(kv[0]))
    )
    action_lines = []
    for action in sorted(goal_of_action, key=natural_key):
        findings = [
            item.complies
            for audit in audits
            for item in audit.items
            if item.action_code == action and item.applies
        ]
        complying = sum(1 for complies in findings if complies)
        action_lines.append(
            ActionLine(
                code=action,
                goal_code=goal_of_action[action],
                compliance=Fraction(complying, len(findings)) if findings else None,
                applicable_facilities=len(findings),
                complying_facilities=complying,
            )
        )
    return ConsolidatedReport(
        compliance=mean_compliance(line.compliance for line in facility_lines),
        facilities=tuple(facility_lines),
        companies=company_lines,
        goals=goal_lines,
        actions=tuple(action_lines),
    )


@dataclass(frozen=True)
class FacilityCounts:
    """One audited facility's counts per goal: goal code → (applicable items, complying items).

    What a database returns when it groups audit items by facility and goal; a goal is present
    when the facility has at least one item in it, applicable or not.
    """

    facility_code: str
    company_tax_id: str
    goals: Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class ActionCounts:
    """One action's counts over the audited facilities: where it applies, where it complies."""

    code: str
    goal_code: str
    applicable_facilities: int
    complying_facilities: int


def _ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def report_from_counts(
    facilities: Iterable[FacilityCounts], actions: Iterable[ActionCounts]
) -> ConsolidatedReport:
    """The consolidated report from counts, equal to :func:`consolidated_report` on the items.

    Each item counts once for its facility and goal, so the facility's share is the sum of its
    goals' counts and every mean is taken exactly as there; an action's counts are already the
    facilities where it applies and complies (one item per action and facility).
    """
    facilities = tuple(facilities)
    goals: Counter[tuple[str, int, int]] = Counter()
    for facility in facilities:
        for goal, (applicable, complying) in facility.goals.items():
            goals[(goal, applicable, complying)] += 1
    return report_from_tallies(
        (
            FacilityTotal(
                facility.facility_code,
                facility.company_tax_id,
                sum(a for a, _c in facility.goals.values()),
                sum(c for _a, c in facility.goals.values()),
            )
            for facility in facilities
        ),
        (GoalGroup(code, a, c, n) for (code, a, c), n in goals.items()),
        actions,
    )


@dataclass(frozen=True)
class FacilityTotal:
    """One audited facility's applicable and complying items over all its goals."""

    facility_code: str
    company_tax_id: str
    applicable: int
    complying: int


@dataclass(frozen=True)
class GoalGroup:
    """How many audited facilities have the same counts in a goal: what a database returns when
    it groups the facilities' goal counts by goal and counts."""

    code: str
    applicable: int
    complying: int
    facilities: int


def mean_of_groups(groups: Iterable[tuple[int, int, int]]) -> Fraction | None:
    """:func:`mean_compliance` of values given as ``(applicable, complying, how many)`` groups:
    the same exact mean, from one term per distinct pair of counts instead of one per value."""
    total, count = _ZERO, 0
    for applicable, complying, many in groups:
        if applicable:
            total += Fraction(complying * many, applicable)
            count += many
    return total / count if count else None


def facility_line(facility: FacilityTotal) -> FacilityLine:
    """A facility's line of the report: its share, and its counts when it is assessable."""
    share = _ratio(facility.complying, facility.applicable)
    assessable = share is not None
    return FacilityLine(
        facility.facility_code,
        facility.company_tax_id,
        share,
        facility.applicable if assessable else 0,
        facility.complying if assessable else 0,
    )


def company_line(tax_id: str, totals: Iterable[tuple[int, int]]) -> CompanyLine:
    """A company's line from its audited facilities' ``(applicable, complying)`` totals."""
    shares = [_ratio(complying, applicable) for applicable, complying in totals]
    return CompanyLine(tax_id, mean_compliance(shares), len(shares))


def report_from_tallies(
    facilities: Iterable[FacilityTotal],
    goals: Iterable[GoalGroup],
    actions: Iterable[ActionCounts],
) -> ConsolidatedReport:
    """The consolidated report from each facility's totals and the goals' grouped counts:
    equal to :func:`report_from_counts` on the same items, with the means over facilities and
    goals taken once per distinct pair of counts (:func:`mean_of_groups`)."""
    lines = []
    by_company: dict[str, list[Fraction | None]] = {}
    pairs: Counter[tuple[int, int]] = Counter()
    for facility in sorted(facilities, key=lambda f: natural_key(f.facility_code)):
        line = facility_line(facility)
        lines.append(line)
        by_company.setdefault(facility.company_tax_id, []).append(line.compliance)
        pairs[(facility.applicable, facility.complying)] += 1
    by_goal: dict[str, list[tuple[int, int, int]]] = {}
    for group in goals:
        by_goal.setdefault(group.code, []).append(
            (group.applicable, group.complying, group.facilities)
        )
    return ConsolidatedReport(
        compliance=mean_of_groups((a, c, n) for (a, c), n in pairs.items()),
        facilities=tuple(lines),
        companies=tuple(
            CompanyLine(tax_id, mean_compliance(values), len(values))
            for tax_id, values in sorted(by_company.items(), key=lambda kv: natural_key(kv[0]))
        ),
        goals=tuple(
            GoalLine(goal, mean_of_groups(groups))
            for goal, groups in sorted(by_goal.items(), key=lambda kv: natural_key(kv[0]))
        ),
        actions=tuple(
            ActionLine(
                code=action.code,
                goal_code=action.goal_code,
                compliance=_ratio(action.complying_facilities, action.applicable_facilities),
                applicable_facilities=action.applicable_facilities,
                complying_facilities=action.complying_facilities,
            )
            for action in sorted(actions, key=lambda a: natural_key(a.code))
        ),
    )


@dataclass(frozen=True)
class Distribution:
    """How many audited facilities stand where, and their mean compliance (exact).

    ``full``: every applicable item complies; ``correction``: above the correction threshold
    but not full; ``below``: at or under it; ``not_assessable``: nothing applies.
    """

    facilities: int
    full: int
    correction: int
    below: int
    not_assessable: int
    mean: Fraction | None


def distribution(
    groups: Iterable[tuple[Fraction, int, int, int]],
) -> Distribution:
    """Facilities counted from ``(correction_above, applicable, complying, facilities)`` groups.

    A database groups the facilities' audits by their agreement's threshold and their two
    counts, so the groups are few (bounded by the number of actions squared) however many
    facilities there are, and the mean stays exact: the sum of ``facilities × complying /
    applicable`` over the assessable groups, divided by their facilities.
    """
    total = full = correction = below = not_assessable = assessed = 0
    share_sum = _ZERO
    for correction_above, applicable, complying, count in groups:
        total += count
        if not applicable:
            not_assessable += count
            continue
        share = Fraction(complying, applicable)
        assessed += count
        share_sum += share * count
        if complying == applicable:
            full += count
        elif share > _exact(correction_above, "correction_above"):
            correction += count
        else:
            below += count
    return Distribution(
        facilities=total,
        full=full,
        correction=correction,
        below=below,
        not_assessable=not_assessable,
        mean=share_sum / assessed if assessed else None,
    )


def final_audit_outcome(
    compliance: Fraction | None, settings: CertificationSettings = DEFAULT_SETTINGS
) -> str:
    """Classify a facility's final audit: eligible, correction, not_eligible or not_assessable.

    Both thresholds are exact: with the defaults, 100 % is eligible, 75 % is *not* above 75 %
    and so is not eligible, and 75.1 % earns a correction period.
    """
    if compliance is None:
        return NOT_ASSESSABLE
    value = _exact(compliance, "compliance")
    if not _ZERO <= value <= _ONE:
        raise ValueError(f"compliance must be between 0 and 1, got {value}")
    if value >= settings.eligible_at:
        return ELIGIBLE
    if value > settings.correction_above:
        return CORRECTION
    return NOT_ELIGIBLE


def after_reverification(
    final_items: Iterable[AuditItem], reverified_items: Iterable[AuditItem]
) -> tuple[AuditItem, ...]:
    """The final audit's items, each re-verified one replacing the item of the same action.

    The auditor re-verifies only the items the facility corrected; every other item keeps its
    final-audit finding (a compliant item is not audited again and cannot be lost). The order
    of the final audit is kept.
    """
    final_items = tuple(final_items)
    reverified_items = tuple(reverified_items)
    _check_unique_actions(final_items)
    _check_unique_actions(reverified_items)
    final_by_action = {item.action_code: item for item in final_items}
    replacements = {}
    for item in reverified_items:
        original = final_by_action.get(item.action_code)
        if original is None:
            raise ValueError(
                f"action {item.action_code} was re-verified but not in the final audit"
            )
        if original.goal_code != item.goal_code:
            raise ValueError(
                f"action {item.action_code} belongs to goal {original.goal_code} in the final "
                f"audit and to goal {item.goal_code} in the re-verification"
            )
        replacements[item.action_code] = item
    return tuple(replacements.get(item.action_code, item) for item in final_items)


def consultation_state(
    consulted_on: date,
    today: date,
    objections: Sequence[Objection],
    regulators: Sequence[str],
    answers: Mapping[str, bool],
    settings: CertificationSettings = DEFAULT_SETTINGS,
) -> str:
    """Where the regulators' consultation on a certification stands on ``today``.

    The window runs from ``consulted_on`` to ``consulted_on + objection_days``, both included.
    An objection counts when it is dated inside the window and on or before ``today``; a late
    objection does not reopen a consultation. ``answers[regulator]`` is True when that regulator
    declared it has no objection; False or no entry means it has not declared so.
    """
    last_day = consulted_on + timedelta(days=settings.objection_days)
    if any(consulted_on <= objection.on <= min(last_day, today) for objection in objections):
        return OBJECTED
    if all(answers.get(regulator) is True for regulator in regulators):
        return CLEARED  # also when nobody has to be consulted
    if today <= last_day:
        return OPEN
    return CLEARED if settings.silence_is_consent else EXPIRED_WITHOUT_ANSWER


def add_years(day: date, years: int) -> date:
    """``day`` moved by ``years`` calendar years; 29 February becomes 28 February if needed."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that is not a leap year
        return day.replace(year=day.year + years, day=28)


def certificate_valid_until(
    issued_on: date, settings: CertificationSettings = DEFAULT_SETTINGS
) -> date:
    """The last day of validity: the issue date plus ``validity_years`` calendar years."""
    return add_years(issued_on, settings.validity_years)


def certificate_status(
    *,
    issued_on: date,
    valid_until: date,
    today: date,
    revoked_on: date | None = None,
    maintenance: Sequence[MaintenanceAudit] = (),
    settings: CertificationSettings = DEFAULT_SETTINGS,
) -> CertificateState:
    """The status of a certificate on ``today``.

    Revocation wins over everything (from ``revoked_on``), then the end of validity, then a
    suspension, the earlier of: a failed maintenance audit not followed by a passed one, and a
    maintenance audit missing at the end of its grace period. Maintenance audits dated on or
    before the issue date (they belong to the certification itself) or after ``today`` are
    ignored; audits on the same date are taken in the order given.
    """
    if valid_until < issued_on:
        raise ValueError(f"valid until {valid_until} is before the issue date {issued_on}")
    if today < issued_on:
        raise ValueError(f"the certificate is issued on {issued_on}, after {today}")
    if revoked_on is not None and revoked_on <= today:
        return CertificateState(REVOKED, REVOKED_REASON, revoked_on)
    if today > valid_until:
        return CertificateState(EXPIRED, VALIDITY_ENDED, valid_until + _ONE_DAY)

    audits = sorted((a for a in maintenance if issued_on < a.date <= today), key=lambda a: a.date)
    suspensions: list[tuple[date, str]] = []

    failed_since: date | None = None
    for audit in audits:
        if audit.passed:
            failed_since = None
        elif failed_since is None:
            failed_since = audit.date
    if failed_since is not None:
        suspensions.append((failed_since, MAINTENANCE_FAILED))

    missing_since = _missing_maintenance(issued_on, valid_until, today, audits, settings)
    if missing_since is not None:
        suspensions.append((missing_since, MAINTENANCE_MISSING))

    if suspensions:
        since, reason = min(suspensions, key=lambda s: s[0])  # a tie goes to the failure
        return CertificateState(SUSPENDED, reason, since)
    return CertificateState(VALID, NO_REASON, None)


def _missing_maintenance(
    issued_on: date,
    valid_until: date,
    today: date,
    audits: Sequence[MaintenanceAudit],
    settings: CertificationSettings,
) -> date | None:
    """First day of suspension for a missing maintenance audit, or None.

    The k-th maintenance audit is due on the k-th anniversary, issue date + k × every days, and
    may be passed any time after the previous anniversary (or the issue date) up to the end of
    the grace period. Anniversaries on or after the end of validity need no audit, and one is
    only judged once its grace period is over.
    """
    every = timedelta(days=settings.maintenance_every_days)
    grace = timedelta(days=settings.maintenance_grace_days)
    passed = [audit.date for audit in audits if audit.passed]
    previous = issued_on
    anniversary = issued_on + every
    while anniversary < valid_until and anniversary + grace < today:
        if not any(previous < day <= anniversary + grace for day in passed):
            return anniversary + grace + _ONE_DAY
        previous, anniversary = anniversary, anniversary + every
    return None
