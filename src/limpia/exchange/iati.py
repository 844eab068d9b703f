"""IATI 2.03 export: a plan as one `iati-activity` with its results, indicators and periods.

`limpia export iati PLAN_SLUG [-o FILE]` and `GET /api/v1/plans/<slug>/iati.xml` write an
`iati-activities` document that validates against the official 2.03 schema (the tests check it
with lxml against ../shared/standards/iati-2.03/; this module does not need the schema).

Mapping decisions (IATI codelists in brackets):

- iati-identifier: `<reporting-org ref>-<plan slug>`; the reporting-org ref defaults to
  `XM-LIMPIA` (an unregistered, "XM" private-use prefix) and can be given by the installation.
- reporting-org: its narrative and type [OrganisationType] come from the organization that
  adopted the plan (its name appears in `Plan.adopted_by`), else from the publisher of the source
  document (`source_publisher`, by name or acronym), mapped by kind (see ORGANISATION_TYPES);
  without a known organization the narrative is the text itself and the type 90 Other.
- participating-org [OrganisationRole]: the adopting body as 2 Accountable (when known: a matched
  organization or the `adopted_by` text), the responsible organizations (lead or support) of the
  top-level nodes as 4 Implementing (when no top-level node names one, those of the shallowest
  level that does). The schema needs one: a plan with neither gets the reporting organization
  as 2 Accountable. Plans fund nothing, so 1 Funding and 3 Extending are not used.
- activity-status [ActivityStatus]: 1 Pipeline before the period, 2 Implementation during it,
  then 3 Finalisation (results are still reported), or 4 Closed once the plan is archived.
- activity-date [ActivityDateType]: 1 planned start and 3 planned end (the plan's period).
- recipient-country for a national plan; otherwise recipient-region [Region, vocabulary 1 OECD
  DAC]: 489 South America, regional for the Andean and Southern Cone subregions, 380 West Indies,
  regional for the Caribbean, 389 North & Central America, regional for Mesoamerica, and 498
  America, regional for the whole of Latin America and the Caribbean (and unknown subregions).
- related-activity [RelatedActivityType]: 1 Parent for the parent plan, 2 Child for subplans,
  only for plans that are not drafts.
- result [ResultType]: one per node with indicators, titled "code title": 1 Output for an
  action (a node below the top level without children), 2 Outcome for objectives and lines
  (top-level nodes and nodes with children); the plan's own indicators (goals) form a result of
  type 3 Impact titled with the plan title.
- indicator measure [IndicatorMeasure]: 2 Percentage for unit "%", 5 Qualitative for qualitative
  indicators, 1 Unit otherwise (a milestone is a unit indicator whose target is 1, done).
  ascending is 1 for increase and 0 for decrease (quantitative indicators only). The indicator
  code is given as a reference with vocabulary 99 (reporting organisation); its unit, and targets
  without a due date, are written in its description.
- baseline: only when the indicator states a baseline value (year and iso-date from its baseline
  date, or the plan start); qualitative baselines carry no value.
- period: one per target with a due date. The first starts at the baseline date (or the plan
  start), the next ones the day after the previous target's due date, so periods do not overlap;
  a start after the end is moved back to the end. target value = the target's value (its text as
  a comment when there is one); actual value = the indicator's observed value at the period end
  (or at `as_of` when that is earlier), computed by the progress method from approved
  measurements or computed metrics; no actual when there are no data then. The actual's comment
  gives the observation date and says when sample (demonstration) data are included. Qualitative
  targets and actuals have no value attribute: their text is a comment.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Length
from django.utils import timezone
from lxml import etree

from limpia.core.errors import DomainError
from limpia.core.models import Organization
from limpia.plans.models import (
    Direction,
    Indicator,
    IndicatorKind,
    Measurement,
    Node,
    NodeResponsibility,
    Plan,
    PlanStatus,
)
from limpia.plans.progress import evaluate_indicator

IATI_VERSION = "2.03"
DEFAULT_REPORTING_ORG_REF = "XM-LIMPIA"
DEFAULT_REPORTING_ORG_NAME = "Limpia"
LANG = "es"
SAMPLE_NOTE = "Incluye datos de ejemplo: no es una cifra oficial."
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# OrganizationKind → IATI OrganisationType.
ORGANISATION_TYPES = {
    "public_agency": "10",  # Government
    "regulator": "10",  # Government
    "business_association": "70",  # Private Sector
    "company": "70",  # Private Sector
    "ngo": "22",  # National NGO
    "academia": "80",  # Academic, Training and Research
    "cp_centre": "80",  # Academic, Training and Research (cleaner production centres)
    "financial": "70",  # Private Sector
    "union": "90",  # Other
    "international": "40",  # Multilateral
    "other_body": "90",  # Other (councils, committees, networks)
}
OTHER_ORGANISATION_TYPE = "90"

ROLE_ACCOUNTABLE = "2"
ROLE_IMPLEMENTING = "4"

STATUS_PIPELINE = "1"
STATUS_IMPLEMENTATION = "2"
STATUS_FINALISATION = "3"
STATUS_CLOSED = "4"

DATE_PLANNED_START = "1"
DATE_PLANNED_END = "3"

# Subregion key → IATI Region code (OECD DAC vocabulary); the whole region → 498.
REGION_VOCABULARY = "1"
SUBREGION_CODES = {
    "andean": "489",  # South America, regional
    "southern_cone": "489",  # South America, regional
    "caribbean": "380",  # West Indies, regional
    "mesoamerica": "389",  # North & Central America, regional
}
AMERICA_REGIONAL = "498"
LAC_NAME = "América Latina y el Caribe"

RESULT_OUTPUT = "1"
RESULT_OUTCOME = "2"
RESULT_IMPACT = "3"

MEASURE_UNIT = "1"
MEASURE_PERCENTAGE = "2"
MEASURE_QUALITATIVE = "5"
PERCENT_UNITS = {"%", "porcentaje", "percent", "percentage", "por ciento"}

INDICATOR_VOCABULARY_REPORTING_ORG = "99"

# Characters XML 1.0 does not allow (the source texts are transcriptions: be safe).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    return _INVALID_XML.sub("", str(value)).strip()


def number(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 2000.000000 → "2000", 12.500 → "12.5"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def indicator_measure(indicator: Indicator) -> str:
    """The IATI IndicatorMeasure code of an indicator."""
    if indicator.kind == IndicatorKind.QUALITATIVE:
        return MEASURE_QUALITATIVE
    if indicator.unit.strip().lower() in PERCENT_UNITS:
        return MEASURE_PERCENTAGE
    return MEASURE_UNIT


def activity_status(plan: Plan, as_of: dt.date) -> str:
    if as_of < plan.period_start:
        return STATUS_PIPELINE
    if as_of <= plan.period_end:
        return STATUS_IMPLEMENTATION
    return STATUS_CLOSED if plan.status == PlanStatus.ARCHIVED else STATUS_FINALISATION


def organisation_type(organization: Organization | None) -> str:
    if organization is None:
        return OTHER_ORGANISATION_TYPE
    return ORGANISATION_TYPES.get(organization.kind, OTHER_ORGANISATION_TYPE)


def organization_named(text: str) -> Organization | None:
    """The organization whose name appears in `text`, or whose acronym is `text`; the longest
    name wins ("Consejo Directivo del Consejo Nacional de Producción Limpia" → the CPL)."""
    text = text.strip()
    if not text:
        return None
    matches = (
        Organization.objects.annotate(
            named=Value(text, output_field=CharField()), name_length=Length("name")
        )
        .filter(Q(named__icontains=F("name")) | Q(acronym__iexact=text))
        .order_by("-name_length", "key")
    )
    return matches.first()


def adopting_organization(plan: Plan) -> Organization | None:
    """The organization that adopted the plan, when `adopted_by` names one."""
    return organization_named(plan.adopted_by)


def activity_identifier(plan: Plan, reporting_org_ref: str = DEFAULT_REPORTING_ORG_REF) -> str:
    return f"{reporting_org_ref}-{plan.slug}"


def is_action(node: Node, has_children: bool) -> bool:
    return node.depth > 0 and not has_children


class _Builder:
    def __init__(self, plan: Plan, *, as_of: dt.date, reporting_org_ref: str, generated_at):
        self.plan = plan
        self.as_of = as_of
        self.ref = reporting_org_ref
        self.generated_at = generated_at

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def narrative(parent, text, *, lang=LANG):
        element = etree.SubElement(parent, "narrative")
        element.set(XML_LANG, lang)
        element.text = _text(text)
        return element

    def text_element(self, parent, tag, text, **attributes):
        element = etree.SubElement(parent, tag, **attributes)
        self.narrative(element, text)
        return element

    # ------------------------------------------------------------------ document

    def document(self) -> etree._Element:
        root = etree.Element(
            "iati-activities",
            version=IATI_VERSION,
            **{"generated-datetime": self.generated_at.isoformat(timespec="seconds")},
        )
        root.append(self.activity())
        return root

    def activity(self) -> etree._Element:
        plan = self.plan
        activity = etree.Element(
            "iati-activity",
            **{
                "last-updated-datetime": self.generated_at.isoformat(timespec="seconds"),
                XML_LANG: LANG,
                "hierarchy": "2" if plan.parent_id else "1",
            },
        )
        etree.SubElement(activity, "iati-identifier").text = activity_identifier(plan, self.ref)
        adopter = adopting_organization(plan)
        # The reporting organization: the adopter, else the publisher of the source document.
        reporter = adopter or organization_named(plan.source_publisher)
        reporting_name = (
            reporter.name if reporter else plan.adopted_by or plan.source_publisher
        ) or DEFAULT_REPORTING_ORG_NAME
        self.text_element(
            activity,
            "reporting-org",
            reporting_name,
            ref=self.ref,
            type=organisation_type(reporter),
        )
        self.text_element(activity, "title", plan.title)
        description = plan.description or plan.source_title or plan.title
        self.text_element(activity, "description", description, type="1")  # 1 General
        self.participating_orgs(activity, adopter, reporter, reporting_name)
        etree.SubElement(activity, "activity-status", code=activity_status(plan, self.as_of))
        etree.SubElement(
            activity,
            "activity-date",
            type=DATE_PLANNED_START,
            **{"iso-date": plan.period_start.isoformat()},
        )
        etree.SubElement(
            activity,
            "activity-date",
            type=DATE_PLANNED_END,
            **{"iso-date": plan.period_end.isoformat()},
        )
        self.recipient(activity)
        self.related_activities(activity)
        self.results(activity)
        return activity

    def participating_orgs(self, activity, adopter, reporter, reporting_name) -> None:
        plan = self.plan
        seen = set()
        if adopter is not None:
            self.text_element(
                activity,
                "participating-org",
                adopter.name,
                role=ROLE_ACCOUNTABLE,
                type=organisation_type(adopter),
            )
            seen.add(adopter.pk)
        elif plan.adopted_by:
            self.text_element(activity, "participating-org", plan.adopted_by, role=ROLE_ACCOUNTABLE)
        responsibilities = list(
            NodeResponsibility.objects.filter(node__plan=plan)
            .select_related("organization", "node")
            .order_by("node__depth", "node__position", "node__id", "role", "organization__name")
        )
        # The top-level nodes' organizations; when none is named there, the shallowest level's.
        depth = min((r.node.depth for r in responsibilities), default=None)
        implementing = 0
        for responsibility in responsibilities:
            organization = responsibility.organization
            if responsibility.node.depth != depth or organization.pk in seen:
                continue
            seen.add(organization.pk)
            implementing += 1
            self.text_element(
                activity,
                "participating-org",
                organization.name,
                role=ROLE_IMPLEMENTING,
                type=organisation_type(organization),
            )
        if adopter is None and not plan.adopted_by and not implementing:
            # The schema needs one participating organization: the reporter answers for it.
            attributes = {"type": organisation_type(reporter)} if reporter else {}
            self.text_element(
                activity,
                "participating-org",
                reporting_name,
                role=ROLE_ACCOUNTABLE,
                **attributes,
            )

    def recipient(self, activity) -> None:
        plan = self.plan
        if plan.country_id:
            country = etree.SubElement(activity, "recipient-country", code=plan.country_id)
            self.narrative(country, plan.country.name_es or plan.country.name_en)
            return
        subregion = plan.subregion if plan.subregion_id else None
        region = etree.SubElement(
            activity,
            "recipient-region",
            code=SUBREGION_CODES.get(subregion.key if subregion else None, AMERICA_REGIONAL),
            vocabulary=REGION_VOCABULARY,
        )
        name = (subregion.name_es or subregion.name_en) if subregion else LAC_NAME
        self.narrative(region, name)

    def related_activities(self, activity) -> None:
        plan = self.plan
        if plan.parent_id and plan.parent.status != PlanStatus.DRAFT:
            etree.SubElement(
                activity,
                "related-activity",
                ref=activity_identifier(plan.parent, self.ref),
                type="1",  # Parent
            )
        children = plan.subplans.exclude(status=PlanStatus.DRAFT).order_by("slug")
        for child in children:
            etree.SubElement(
                activity,
                "related-activity",
                ref=activity_identifier(child, self.ref),
                type="2",  # Child
            )

    # ------------------------------------------------------------------ results

    def results(self, activity) -> None:
        plan = self.plan
        indicators = list(
            Indicator.objects.filter(plan=plan).with_progress_data().order_by("position", "id")
        )
        if not indicators:
            return
        all_measurements = (
            Measurement.objects.approved()
            .totals()
            .filter(indicator__plan=plan, indicator__kind=IndicatorKind.QUALITATIVE)
            .order_by("date", "id")
        )
        self.qualitative = {}
        for measurement in all_measurements:
            self.qualitative.setdefault(measurement.indicator_id, []).append(measurement)
        from limpia.agreements.metrics import MetricData

        self.computed = MetricData.for_indicators(indicators)
        by_node: dict[int | None, list[Indicator]] = {}
        for indicator in indicators:
            indicator.plan = plan
            by_node.setdefault(indicator.node_id, []).append(indicator)
        nodes = list(Node.objects.filter(plan=plan).in_tree_order())
        parents = {n.parent_id for n in nodes}
        # Pre-order (tree) order, so that results read like the plan.
        children_of: dict[int | None, list[Node]] = {}
        for node in nodes:
            children_of.setdefault(node.parent_id, []).append(node)
        ordered: list[Node] = []

        def walk(parent_id):
            for node in children_of.get(parent_id, []):
                ordered.append(node)
                walk(node.pk)

        walk(None)
        if by_node.get(None):
            self.result(activity, RESULT_IMPACT, plan.title, "", by_node[None])
        for node in ordered:
            own = by_node.get(node.pk)
            if not own:
                continue
            kind = RESULT_OUTPUT if is_action(node, node.pk in parents) else RESULT_OUTCOME
            title = f"{node.code} {node.title}".strip()
            expected = node.expected_result if node.expected_result != node.title else ""
            self.result(activity, kind, title, expected, own)

    def result(self, activity, kind, title, description, indicators) -> None:
        result = etree.SubElement(activity, "result", type=kind)
        self.text_element(result, "title", title)
        if description.strip():
            self.text_element(result, "description", description)
        for indicator in indicators:
            self.indicator(result, indicator)

    def indicator(self, result, indicator: Indicator) -> None:
        measure = indicator_measure(indicator)
        qualitative = measure == MEASURE_QUALITATIVE
        attributes = {"measure": measure}
        if not qualitative:
            attributes["ascending"] = "0" if indicator.direction == Direction.DECREASE else "1"
        element = etree.SubElement(result, "indicator", **attributes)
        self.text_element(element, "title", indicator.name)
        notes = []
        if indicator.description.strip():
            notes.append(indicator.description.strip())
        if indicator.unit.strip() and not qualitative:
            notes.append(f"Unidad: {indicator.unit.strip()}.")
        targets = list(indicator.targets.all())
        undated = [t for t in targets if t.due_date is None]
        for target in undated:
            text = target.text.strip() or number(target.value)
            notes.append(f"Meta sin fecha: {text}")
        if notes:
            description = etree.SubElement(element, "description")
            for note in notes:
                self.narrative(description, note)
        etree.SubElement(
            element,
            "reference",
            vocabulary=INDICATOR_VOCABULARY_REPORTING_ORG,
            code=_text(indicator.code),
        )
        start = indicator.baseline_date or self.plan.period_start
        if indicator.baseline_value is not None:
            baseline = etree.SubElement(
                element,
                "baseline",
                year=str(start.year),
                **{"iso-date": start.isoformat()},
            )
            if not qualitative:
                baseline.set("value", number(indicator.baseline_value))
            else:
                self.text_element(baseline, "comment", number(indicator.baseline_value))
        for target in sorted((t for t in targets if t.due_date), key=lambda t: t.due_date):
            self.period(element, indicator, target, min(start, target.due_date), qualitative)
            start = target.due_date + dt.timedelta(days=1)

    def period(self, element, indicator, target, start, qualitative) -> None:
        end = target.due_date
        period = etree.SubElement(element, "period")
        etree.SubElement(period, "period-start", **{"iso-date": start.isoformat()})
        etree.SubElement(period, "period-end", **{"iso-date": end.isoformat()})
        target_element = etree.SubElement(period, "target")
        if target.value is not None and not qualitative:
            target_element.set("value", number(target.value))
        target_text = target.text.strip() or (
            number(target.value) if qualitative and target.value is not None else ""
        )
        if target_text:
            self.text_element(target_element, "comment", target_text)
        if self.as_of < start:
            return  # the period has not started: nothing observed yet
        observed_at = min(end, self.as_of)
        if qualitative:
            reported = [m for m in self.qualitative.get(indicator.pk, []) if m.date <= observed_at]
            if reported:
                latest = reported[-1]
                text = latest.text.strip() or latest.comment.strip()
                if not text and latest.value is not None:
                    text = number(latest.value)
                text = f"{text or '—'} ({latest.date.isoformat()})"
                if latest.is_sample:
                    text = f"{text} {SAMPLE_NOTE}"
                actual = etree.SubElement(period, "actual")
                self.text_element(actual, "comment", text)
            return
        progress = evaluate_indicator(indicator, as_of=observed_at, computed=self.computed)
        if progress.current_value is None:
            return
        actual = etree.SubElement(period, "actual", value=number(progress.current_value))
        comment = []
        if progress.observed_on is not None:
            comment.append(f"Valor observado al {progress.observed_on.isoformat()}.")
        if self.includes_sample_data(indicator, observed_at):
            comment.append(SAMPLE_NOTE)
        if comment:
            self.text_element(actual, "comment", " ".join(comment))

    def includes_sample_data(self, indicator, as_of) -> bool:
        if indicator.metric:
            return bool(self.computed) and indicator.metric in self.computed.sample_metrics
        return any(m.is_sample and m.date <= as_of for m in indicator.approved_measurements)


def plan_to_iati(
    plan: Plan,
    *,
    as_of: dt.date | None = None,
    reporting_org_ref: str = DEFAULT_REPORTING_ORG_REF,
    generated_at: dt.datetime | None = None,
) -> bytes:
    """The plan as an IATI 2.03 `iati-activities` document (UTF-8 bytes with a declaration)."""
    as_of = as_of or timezone.localdate()
    generated_at = generated_at or timezone.now().replace(microsecond=0)
    builder = _Builder(
        plan, as_of=as_of, reporting_org_ref=reporting_org_ref, generated_at=generated_at
    )
    return etree.tostring(
        builder.document(), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def get_plan(slug: str) -> Plan:
    plan = Plan.objects.select_related("country", "subregion", "parent").filter(slug=slug).first()
    if plan is None:
        raise DomainError(f"There is no plan with the slug {slug!r}.", field="slug")
    return plan


def export_command(*, slug: str, output: str | None, fmt: str | None, stdout) -> None:
    """`limpia export iati PLAN_SLUG [-o FILE]`: the plan's IATI XML to FILE or standard output."""
    if fmt not in (None, "", "xml"):
        raise DomainError(
            f"The IATI export is XML; --format {fmt!r} does not apply.", field="format"
        )
    document = plan_to_iati(get_plan(slug))
    if output:
        Path(output).write_bytes(document)
    else:
        stdout.write(document.decode("utf-8"), ending="")
