"""The consolidated final report of a Clean Production Agreement, as an A4 PDF (typst).

What the business association sends to the council: compliance per goal, action, facility and
company and for the whole sector (from `agreements.figures.consolidated`: each facility's latest
submitted final audit, with validated correction re-verifications merged in), the auditors'
observations of those final audits by facility and action, the impacts (`impacts.aggregate`),
and the compliance chart of the agreement's page (`reports.compliance_charts`).
"""

import datetime as dt
from fractions import Fraction

from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from limpia.agreements import figures
from limpia.agreements.impacts import aggregate
from limpia.agreements.models import (
    Agreement,
    AuditItem,
    AuditType,
    Facility,
    ImpactMetric,
    SignatoryRole,
    Stage,
)
from limpia.compliance.method import natural_key
from limpia.core.errors import DomainError
from limpia.core.taxid import format_tax_id, tax_id_name
from limpia.reports import typst_pdf
from limpia.reports.compliance_charts import compliance_chart
from limpia.reports.typst_pdf import date, number, percent

LABELS: dict[str, typst_pdf.Label] = {
    "report": (
        gettext_noop("Consolidated final report"),
        "Informe final consolidado",
        "Relatório final consolidado",
    ),
    "code": (gettext_noop("Code"), "Código", "Código"),
    "country": (gettext_noop("Country"), "País", "País"),
    "territory": (gettext_noop("Territory"), "Territorio", "Território"),
    "national": (gettext_noop("National"), "Nacional", "Nacional"),
    "sectors": (gettext_noop("Sectors"), "Sectores", "Setores"),
    "stage": (gettext_noop("Stage"), "Etapa", "Etapa"),
    "signed": (gettext_noop("Signing date"), "Fecha de firma", "Data de assinatura"),
    "implementation_end": (
        gettext_noop("End of implementation"),
        "Fin de la implementación",
        "Fim da implementação",
    ),
    "signatories": (gettext_noop("Signatories"), "Firmantes", "Signatários"),
    "issued": (gettext_noop("Report date"), "Fecha del informe", "Data do relatório"),
    "sample": (
        gettext_noop("This agreement is sample data for demonstration."),
        "Este acuerdo es un ejemplo para demostración.",
        "Este acordo é um exemplo para demonstração.",
    ),
    "sector_compliance": (
        gettext_noop("Compliance of the sector"),
        "Cumplimiento del sector",
        "Cumprimento do setor",
    ),
    "compliance": (gettext_noop("Compliance"), "Cumplimiento", "Cumprimento"),
    "audited": (
        gettext_noop("Facilities with a final audit"),
        "Instalaciones con auditoría final",
        "Instalações com auditoria final",
    ),
    "no_audits": (
        gettext_noop("No final audit has been submitted yet."),
        "Aún no se ha presentado ninguna auditoría final.",
        "Nenhuma auditoria final foi apresentada ainda.",
    ),
    "not_assessable": (gettext_noop("not assessable"), "no evaluable", "não avaliável"),
    "goals": (gettext_noop("Compliance per goal"), "Cumplimiento por meta", "Cumprimento por meta"),
    "actions": (
        gettext_noop("Compliance per action (share of facilities where it applies)"),
        "Cumplimiento por acción (proporción de instalaciones donde aplica)",
        "Cumprimento por ação (proporção de instalações onde se aplica)",
    ),
    "axis": (gettext_noop("Compliance (%)"), "Cumplimiento (%)", "Cumprimento (%)"),
    "goal": (gettext_noop("Goal"), "Meta", "Meta"),
    "action": (gettext_noop("Action"), "Acción", "Ação"),
    "applicable": (gettext_noop("Applies in"), "Aplica en", "Aplica-se em"),
    "complying": (gettext_noop("Complies in"), "Cumple en", "Cumpre em"),
    "applicable_actions": (
        gettext_noop("Applicable actions"),
        "Acciones aplicables",
        "Ações aplicáveis",
    ),
    "complying_actions": (
        gettext_noop("Complying actions"),
        "Acciones cumplidas",
        "Ações cumpridas",
    ),
    "facilities": (
        gettext_noop("Compliance per facility"),
        "Cumplimiento por instalación",
        "Cumprimento por instalação",
    ),
    "facility": (gettext_noop("Facility"), "Instalación", "Instalação"),
    "company": (gettext_noop("Company"), "Empresa", "Empresa"),
    "subdivision": (gettext_noop("Region"), "Región", "Região"),
    "items": (
        gettext_noop("Complying / applicable actions"),
        "Acciones cumplidas / aplicables",
        "Ações cumpridas / aplicáveis",
    ),
    "companies": (
        gettext_noop("Compliance per company"),
        "Cumplimiento por empresa",
        "Cumprimento por empresa",
    ),
    "facility_count": (
        gettext_noop("Audited facilities"),
        "Instalaciones auditadas",
        "Instalações auditadas",
    ),
    "observations": (
        gettext_noop("Auditors' observations"),
        "Observaciones de los auditores",
        "Observações dos auditores",
    ),
    "no_observations": (
        gettext_noop("The final audits have no observations."),
        "Las auditorías finales no tienen observaciones.",
        "As auditorias finais não têm observações.",
    ),
    "result": (gettext_noop("Result"), "Resultado", "Resultado"),
    "complies": (gettext_noop("complies"), "cumple", "cumpre"),
    "does_not_comply": (gettext_noop("does not comply"), "no cumple", "não cumpre"),
    "does_not_apply": (gettext_noop("does not apply"), "no aplica", "não se aplica"),
    "observation": (gettext_noop("Observation"), "Observación", "Observação"),
    "auditor": (gettext_noop("Auditor"), "Auditor", "Auditor"),
    "impacts": (gettext_noop("Impacts"), "Impactos", "Impactos"),
    "no_impacts": (
        gettext_noop("No impact values have been reported."),
        "No se han informado valores de impacto.",
        "Nenhum valor de impacto foi informado.",
    ),
    "year": (gettext_noop("Year"), "Año", "Ano"),
    "metric": (gettext_noop("Metric"), "Indicador", "Indicador"),
    "total": (gettext_noop("Total"), "Total", "Total"),
    "reporting": (gettext_noop("Facilities"), "Instalaciones", "Instalações"),
    "intensity": (
        gettext_noop("Per unit of production"),
        "Por unidad de producción",
        "Por unidade de produção",
    ),
    "generated": (gettext_noop("Generated by Limpia"), "Generado por Limpia", "Gerado por Limpia"),
    "in_annex": (
        gettext_noop(
            "{n} lines: too many for these pages, they are in the report's annex workbook ({path})."
        ),
        "{n} líneas: demasiadas para estas páginas, están en el libro anexo del informe ({path}).",
        "{n} linhas: demasiadas para estas páginas, estão na pasta de trabalho anexa do "
        "relatório ({path}).",
    ),
}

# A table of more lines than this (facilities, companies, observations) is left to the annex
# workbook (`agreement_annex_xlsx`), the report saying so: the 15,952 facility and 15,116
# company lines of the largest S10 agreement made 700 pages that took 23 s and 3.1 GB to lay out.
LINES_IN_PDF = 1000
ANNEXED = ("facilities", "companies", "observations")

TEMPLATE = (
    typst_pdf.PREAMBLE
    + r"""
#cover(d.agreement_title, l.report, d.cover_rows, d.sample_note)

= #l.sector_compliance
#grid(columns: (auto, auto), column-gutter: 12pt, row-gutter: 6pt,
  muted(l.compliance), strong(d.sector),
  muted(l.audited), d.audited)
#v(6pt)
#image("compliance.svg", width: 100%)

== #l.goals
#datatable((auto, 1fr, auto), (l.code, l.goal, l.compliance),
  d.goals.map(g => (g.code, g.title, g.compliance)))

== #l.actions
#datatable((auto, 1fr, auto, auto, auto),
  (l.code, l.action, l.applicable, l.complying, l.compliance),
  d.actions.map(a => (a.code, a.text, a.applicable, a.complying, a.compliance)))

= #l.facilities
#if d.annex.facilities != "" [#muted(d.annex.facilities)] else if d.facilities.len() == 0 [
  #muted(l.no_audits)
] else [
  #datatable((auto, 1.4fr, 1.4fr, 1fr, auto, auto),
    (l.code, l.facility, l.company, l.subdivision, l.items, l.compliance),
    d.facilities.map(f => (f.code, f.name, f.company, f.subdivision, f.items, f.compliance)))
]

= #l.companies
#if d.annex.companies != "" [#muted(d.annex.companies)] else if d.companies.len() == 0 [
  #muted(l.no_audits)
] else [
  #datatable((auto, 1fr, auto, auto), (d.tax_id_label, l.company, l.facility_count, l.compliance),
    d.companies.map(c => (c.tax_id, c.name, c.facilities, c.compliance)))
]

= #l.observations
#if d.annex.observations != "" [#muted(d.annex.observations)] else if d.observations.len() == 0 [
  #muted(l.no_observations)
] else [
  #for group in d.observations [
    == #group.facility
    #muted(text(size: 8.5pt, group.audit))
    #datatable((auto, 1.3fr, auto, 2fr), (l.code, l.action, l.result, l.observation),
      group.items.map(i => (i.code, i.action, i.result, i.observation)))
  ]
]

= #l.impacts
#if d.impacts.len() == 0 [#muted(l.no_impacts)] else [
  #datatable((auto, 1fr, auto, auto, auto), (l.year, l.metric, l.total, l.reporting, l.intensity),
    d.impacts.map(i => (i.year, i.metric, i.total, i.facilities, i.intensity)))
]
"""
)


def _tax_id(country_id: str, value: str) -> str:
    try:
        return format_tax_id(country_id, value)
    except DomainError:
        return value


def _territory(agreement: Agreement, labels) -> str:
    if agreement.is_national:
        return labels["national"]
    return ", ".join(s.name for s in agreement.subdivisions.all()) or "—"


def _cover_rows(agreement: Agreement, labels, today: dt.date) -> list[list[str]]:
    signatories = [
        f"{s.organization.name} ({s.get_role_display()})"
        for s in agreement.signatories.select_related("organization").order_by("role", "id")
    ]
    sectors = [f"{s.code} {s.localized_name()}" for s in agreement.sectors.order_by("code")]
    rows = [
        [labels["code"], agreement.code],
        [labels["country"], agreement.country.localized_name()],
        [labels["territory"], _territory(agreement, labels)],
        [labels["sectors"], "; ".join(sectors) or "—"],
        [labels["stage"], str(Stage(agreement.stage).label)],
        [labels["signed"], date(agreement.signing_date)],
        [labels["implementation_end"], date(agreement.implementation_end)],
        [labels["signatories"], "; ".join(signatories) or "—"],
        [labels["issued"], date(today)],
    ]
    return rows


def _observations(agreement: Agreement, audits, labels) -> list[dict]:
    items = (
        AuditItem.objects.filter(audit__in=audits)
        .exclude(observation="")
        .select_related("action", "audit__facility__company", "audit__auditor")
    )
    groups: dict[int, dict] = {}
    for item in sorted(
        items, key=lambda i: (natural_key(i.audit.facility.code), natural_key(i.action.code))
    ):
        facility = item.audit.facility
        if not item.applies:
            result = labels["does_not_apply"]
        else:
            result = labels["complies"] if item.complies else labels["does_not_comply"]
        group = groups.setdefault(
            facility.pk,
            {
                "facility": f"{facility.code} {facility.name} ({facility.company.name})",
                "audit": f"{labels['auditor']}: {item.audit.auditor.name} · "
                f"{date(item.audit.audit_date)}",
                "items": [],
            },
        )
        group["items"].append(
            {
                "code": item.action.code,
                "action": item.action.text,
                "result": result,
                "observation": item.observation,
            }
        )
    return list(groups.values())


def agreement_report_payload(agreement: Agreement, *, today: dt.date) -> tuple[dict, str]:
    """The report's data (JSON-ready strings) and its chart (SVG), in the active language."""
    payload, svg, _report = _payload(agreement, today=today)
    return payload, svg


def _payload(agreement: Agreement, *, today: dt.date):
    """`agreement_report_payload`, and the consolidated figures it shows
    (`figures.consolidated`: its facility and company lines are the payload's, in order)."""
    labels = typst_pdf.translate(LABELS)
    audits = figures.latest_audits([agreement.pk], AuditType.FINAL)
    report = figures.consolidated(agreement)
    goals = {g.code: g for g in agreement.goals.prefetch_related("actions")}
    actions = {a.code: a for g in goals.values() for a in g.actions.all()}
    facilities = {
        f.code: f
        for f in Facility.objects.filter(pk__in=audits.values("facility_id")).select_related(
            "company", "subdivision"
        )
    }
    companies = {}
    for facility in facilities.values():
        companies.setdefault(facility.company.tax_id, facility.company)
    country = agreement.country_id
    rows_impacts = []
    for row in aggregate(agreement):
        metric = row["metric"]
        label = str(ImpactMetric(metric).label) if metric in ImpactMetric.values else metric
        intensity = "—"
        if row["per_unit_of_production"] is not None:
            intensity = (
                f"{number(row['per_unit_of_production'], places=4)} "
                f"{row['unit']}/{row['production_unit']}"
            )
        rows_impacts.append(
            {
                "year": str(row["year"]),
                "metric": label,
                "total": f"{number(row['total'])} {row['unit']}",
                "facilities": str(row["facilities"]),
                "intensity": intensity,
            }
        )
    association = agreement.signatories.filter(role=SignatoryRole.BUSINESS_ASSOCIATION).first()
    payload = {
        "title": f"{labels['report']}: {agreement.name}",
        "author": association.organization.name if association else labels["generated"],
        "keywords": [agreement.code],
        "language": typst_pdf.language(),
        "footer": f"{agreement.code} · {labels['report']} · {date(today)}",
        "labels": labels,
        "agreement_title": agreement.name,
        "cover_rows": _cover_rows(agreement, labels, today),
        "sample_note": labels["sample"] if agreement.is_sample else "",
        "sector": percent(report.compliance)
        if report.compliance is not None
        else labels["not_assessable"],
        "audited": str(len(report.facilities)),
        "tax_id_label": str(tax_id_name(country)),
        "goals": [
            {
                "code": line.code,
                "title": goals[line.code].title if line.code in goals else "",
                "compliance": _share(line.compliance, labels),
            }
            for line in report.goals
        ],
        "actions": [
            {
                "code": line.code,
                "text": actions[line.code].text if line.code in actions else "",
                "applicable": str(line.applicable_facilities),
                "complying": str(line.complying_facilities),
                "compliance": _share(line.compliance, labels),
            }
            for line in report.actions
        ],
        "facilities": [
            {
                "code": line.facility_code,
                "name": facilities[line.facility_code].name
                if line.facility_code in facilities
                else "",
                "company": facilities[line.facility_code].company.name
                if line.facility_code in facilities
                else "",
                "subdivision": _subdivision(facilities.get(line.facility_code)),
                "items": f"{line.complying} / {line.applicable}",
                "compliance": _share(line.compliance, labels),
            }
            for line in report.facilities
        ],
        "companies": [
            {
                "tax_id": _tax_id(
                    companies[line.tax_id].country_id if line.tax_id in companies else country,
                    line.tax_id,
                ),
                "name": companies[line.tax_id].name if line.tax_id in companies else "",
                "facilities": str(line.facilities),
                "compliance": _share(line.compliance, labels),
            }
            for line in report.companies
        ],
        "observations": _observations(agreement, audits, labels),
        "impacts": rows_impacts,
    }
    svg = compliance_chart(
        goals=[(line.code, line.compliance) for line in report.goals],
        actions=[(line.code, line.compliance) for line in report.actions],
        threshold=Fraction(str(agreement.correction_above)),
        value_label=percent,
        labels={
            "goals": labels["goals"],
            "actions": labels["actions"],
            "axis": labels["axis"],
            "not_assessable": labels["not_assessable"],
            "empty": labels["no_audits"],
        },
    )
    return payload, svg, report


def _share(value: Fraction | None, labels) -> str:
    return labels["not_assessable"] if value is None else percent(value)


def _subdivision(facility: Facility | None) -> str:
    if facility is None or facility.subdivision is None:
        return "—"
    return facility.subdivision.name


def agreement_report_pdf(
    agreement: Agreement, *, language: str = "es", today: dt.date | None = None
) -> bytes:
    """The consolidated final report as PDF bytes, dated `today` (default: the local date)."""
    today = today or timezone.localdate()
    with translation.override(language):
        payload, svg = agreement_report_payload(agreement, today=today)
        payload = paged(payload, agreement)
        return typst_pdf.render(
            f"agreement-report-{agreement.slug}",
            TEMPLATE,
            payload,
            files={"compliance.svg": svg},
            day=today,
        )


def paged(payload: dict, agreement: Agreement) -> dict:
    """The payload as the PDF shows it: a table of more than LINES_IN_PDF lines left out, with
    the sentence that says how many lines the annex workbook holds (`annex`, per table)."""
    payload = {**payload, "annex": {}}
    for key in ANNEXED:
        lines = _lines(payload, key)
        payload["annex"][key] = ""
        if lines > LINES_IN_PDF:
            payload[key] = []
            payload["annex"][key] = payload["labels"]["in_annex"].format(
                n=number(lines), path=annex_path(agreement)
            )
    return payload


def _lines(payload: dict, key: str) -> int:
    if key == "observations":
        return sum(len(group["items"]) for group in payload[key])
    return len(payload[key])


def annex_path(agreement: Agreement) -> str:
    from django.urls import reverse

    return reverse("reports:agreement_annex", args=[agreement.slug])


def _exact(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 6)


def agreement_annex_xlsx(
    agreement: Agreement, *, language: str = "es", today: dt.date | None = None
) -> bytes:
    """The report's facility, company and observation lines as a workbook, one sheet each in
    the report's order and language, counts as numbers and compliance as a fraction shown as a
    percentage; written row by row (openpyxl's write-only mode)."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    today = today or timezone.localdate()
    with translation.override(language):
        payload, _svg, report = _payload(agreement, today=today)
        labels = payload["labels"]
        book = Workbook(write_only=True)

        def sheet(key: str, header: list[str]):
            out = book.create_sheet(labels[key][:31])
            out.append(header)
            return out

        def share(value: Fraction | None):
            cell = WriteOnlyCell(out_facilities, value=_exact(value))
            cell.number_format = "0.0%"
            return cell

        out_facilities = sheet(
            "facilities",
            [
                labels[k]
                for k in ("code", "facility", "company", "subdivision", "applicable_actions")
            ]
            + [labels["complying_actions"], labels["compliance"]],
        )
        for shown, line in zip(payload["facilities"], report.facilities, strict=True):
            out_facilities.append(
                [
                    *(shown[k] for k in ("code", "name", "company", "subdivision")),
                    line.applicable,
                    line.complying,
                    share(line.compliance),
                ]
            )
        out_companies = sheet(
            "companies",
            [
                payload["tax_id_label"],
                *(labels[k] for k in ("company", "facility_count", "compliance")),
            ],
        )
        for shown, line in zip(payload["companies"], report.companies, strict=True):
            out_companies.append(
                [shown["tax_id"], shown["name"], line.facilities, share(line.compliance)]
            )
        out_observations = sheet(
            "observations",
            [labels[k] for k in ("facility", "auditor", "code", "action", "result", "observation")],
        )
        for group in payload["observations"]:
            for item in group["items"]:
                out_observations.append(
                    [
                        group["facility"],
                        group["audit"],
                        *(item[k] for k in ("code", "action", "result", "observation")),
                    ]
                )
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
