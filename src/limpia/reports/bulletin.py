"""The semiannual bulletin (Panamá's plan, 5.3.3): what happened in a semester, what comes next.

`bulletin_content("2026-S2")` gathers, for July–December 2026 (S1 is January–June): the
agreements signed in the semester with their current stage, the facilities that adhered and
were certified, the indicator changes (approved measurements dated in the semester), the new
documents of the knowledge centre and the deadlines of the next semester (indicator targets and
plan elements' due dates). Only what the public may see is included: published agreements,
approved plans, approved measurements. The content is plain JSON (dates and numbers as text);
labels are added when it is shown (`labelled`), so the archive is language-neutral.

`limpia bulletin 2026-S2` writes `<DATA_DIR>/bulletins/2026-S2.pdf` and `2026-S2.json` (each
written to a temporary file first and moved into place, so a bulletin is never half-written);
the public pages list and show the archive.
"""

import datetime as dt
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from limpia.agreements.models import Adhesion, Agreement, Certificate, Stage
from limpia.core.errors import DomainError
from limpia.plans.models import (
    ImplementationStatus,
    Measurement,
    Node,
    PlanStatus,
    Target,
)
from limpia.reports import typst_pdf
from limpia.reports.typst_pdf import number

PERIOD = re.compile(r"(\d{4})-S([12])")
ARCHIVE = "bulletins"


@dataclass(frozen=True)
class Semester:
    key: str  # "2026-S2"
    start: dt.date
    end: dt.date

    @property
    def following(self) -> "Semester":
        year, half = self.start.year, 1 if self.start.month == 1 else 2
        return semester(f"{year}-S2" if half == 1 else f"{year + 1}-S1")


def semester(period: str) -> Semester:
    """The semester of "2026-S1" (January–June) or "2026-S2" (July–December); else refused."""
    match = PERIOD.fullmatch((period or "").strip().upper())
    if not match or not 1900 <= int(match.group(1)) <= 2200:
        raise DomainError(
            _(
                "The period must be written YYYY-S1 (January to June) or YYYY-S2 (July to "
                "December), for example 2026-S2, not %(value)r."
            )
            % {"value": (period or "")[:40]},
            field="period",
            code="invalid_period",
        )
    year, half = int(match.group(1)), int(match.group(2))
    if half == 1:
        return Semester(f"{year}-S1", dt.date(year, 1, 1), dt.date(year, 6, 30))
    return Semester(f"{year}-S2", dt.date(year, 7, 1), dt.date(year, 12, 31))


def _decimal(value: Decimal | None) -> str:
    return "" if value is None else str(value.normalize())


def _agreements(period: Semester) -> list[dict]:
    agreements = Agreement.objects.published().filter(
        signing_date__range=(period.start, period.end)
    )
    return [
        {
            "slug": a.slug,
            "code": a.code,
            "name": a.name,
            "signing_date": a.signing_date.isoformat(),
            "stage": a.stage,
            "is_sample": a.is_sample,
        }
        for a in agreements.order_by("signing_date", "code")
    ]


def _adhesions(period: Semester) -> dict:
    adhesions = (
        Adhesion.objects.filter(
            adhered_on__range=(period.start, period.end),
            agreement__in=Agreement.objects.published(),
        )
        .select_related("facility__company", "agreement")
        .order_by("adhered_on", "agreement__code", "facility__code")
    )
    items = [
        {
            "facility_code": a.facility.code,
            "facility_name": a.facility.name,
            "company": a.facility.company.name,
            "agreement_code": a.agreement.code,
            "agreement_slug": a.agreement.slug,
            "date": a.adhered_on.isoformat(),
            "is_sample": a.agreement.is_sample or a.facility.company.is_sample,
        }
        for a in adhesions
    ]
    return {"count": len({i["facility_code"] for i in items}), "items": items}


def _certificates(period: Semester) -> dict:
    certificates = (
        Certificate.objects.filter(
            issued_on__range=(period.start, period.end),
            agreement__in=Agreement.objects.published(),
        )
        .select_related("facility__company", "agreement")
        .order_by("issued_on", "agreement__code", "facility__code")
    )
    items = [
        {
            "certificate_code": c.code,
            "facility_code": c.facility.code,
            "facility_name": c.facility.name,
            "company": c.facility.company.name,
            "agreement_code": c.agreement.code,
            "agreement_slug": c.agreement.slug,
            "date": c.issued_on.isoformat(),
            "is_sample": c.is_sample,
        }
        for c in certificates
    ]
    return {"count": len({i["facility_code"] for i in items}), "items": items}


def _indicator_changes(period: Semester) -> list[dict]:
    measurements = (
        Measurement.objects.approved()
        .totals()
        .filter(
            date__range=(period.start, period.end),
            indicator__plan__status=PlanStatus.APPROVED,
        )
        .select_related("indicator__plan")
        .order_by("indicator__plan__title", "indicator__position", "indicator__id", "date", "id")
    )
    return [
        {
            "plan_slug": m.indicator.plan.slug,
            "plan_title": m.indicator.plan.title,
            "indicator_code": m.indicator.code,
            "indicator_name": m.indicator.name,
            "kind": m.indicator.kind,
            "date": m.date.isoformat(),
            "value": _decimal(m.value),
            "text": m.text,
            "unit": m.indicator.unit,
            "is_sample": m.is_sample,
        }
        for m in measurements
    ]


def _document_row(document) -> dict:
    """A document from the knowledge centre (a model instance or a mapping)."""

    def get(name, default=""):
        if isinstance(document, dict):
            return document.get(name, default)
        return getattr(document, name, default)

    published = get("published_on", None)
    link = get("link", "") or get("url", "")
    if not link and not isinstance(document, dict) and hasattr(document, "get_absolute_url"):
        try:
            link = document.get_absolute_url()
        except Exception:  # a link is a nicety, never a reason to fail
            link = ""
    return {
        "title": str(get("title")),
        "kind": str(get("kind")),
        "published_on": published.isoformat() if hasattr(published, "isoformat") else "",
        "link": str(link or ""),
        "is_sample": bool(get("is_sample", False)),
    }


def _documents(period: Semester) -> list[dict]:
    try:
        from limpia.knowledge.queries import documents_published_between
    except ImportError:
        return []
    return [_document_row(d) for d in documents_published_between(period.start, period.end)]


def _deadlines(period: Semester) -> list[dict]:
    rows = []
    targets = (
        Target.objects.filter(
            due_date__range=(period.start, period.end),
            indicator__plan__status=PlanStatus.APPROVED,
        )
        .select_related("indicator__plan")
        .order_by("due_date", "indicator__plan__title", "indicator__code")
    )
    for target in targets:
        indicator = target.indicator
        rows.append(
            {
                "date": target.due_date.isoformat(),
                "kind": "target",
                "plan_slug": indicator.plan.slug,
                "plan_title": indicator.plan.title,
                "code": indicator.code,
                "title": indicator.name,
                "value": _decimal(target.value),
                "text": target.text,
                "unit": indicator.unit,
            }
        )
    nodes = (
        Node.objects.filter(plan__status=PlanStatus.APPROVED)
        .filter(
            Q(due_date__range=(period.start, period.end))
            | Q(due_date__isnull=True) & ~Q(horizon="")
        )
        .exclude(
            implementation_status__in=[
                ImplementationStatus.COMPLETED,
                ImplementationStatus.CANCELLED,
            ]
        )
        .select_related("plan")
    )
    for node in nodes:
        due = node.effective_due_date()
        if due is None or not period.start <= due <= period.end:
            continue
        rows.append(
            {
                "date": due.isoformat(),
                "kind": "node",
                "plan_slug": node.plan.slug,
                "plan_title": node.plan.title,
                "code": node.code,
                "title": node.title,
                "value": "",
                "text": node.due_text,
                "unit": "",
            }
        )
    rows.sort(key=lambda r: (r["date"], r["plan_title"], r["kind"], r["code"]))
    return rows


def bulletin_content(period: str) -> dict:
    """The bulletin of a semester ("2026-S2") as plain JSON-ready data."""
    current = semester(period)
    following = current.following
    content = {
        "period": current.key,
        "start": current.start.isoformat(),
        "end": current.end.isoformat(),
        "next": {
            "period": following.key,
            "start": following.start.isoformat(),
            "end": following.end.isoformat(),
        },
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "agreements_signed": _agreements(current),
        "facilities_adhered": _adhesions(current),
        "facilities_certified": _certificates(current),
        "indicator_changes": _indicator_changes(current),
        "documents": _documents(current),
        "deadlines": _deadlines(following),
    }
    content["includes_sample_data"] = any(
        row.get("is_sample")
        for rows in (
            content["agreements_signed"],
            content["facilities_adhered"]["items"],
            content["facilities_certified"]["items"],
            content["indicator_changes"],
            content["documents"],
        )
        for row in rows
    )
    return content


# ---------------------------------------------------------------- labels and the PDF

LABELS: dict[str, typst_pdf.Label] = {
    "bulletin": (gettext_noop("Semiannual bulletin"), "Boletín semestral", "Boletim semestral"),
    "semester": (gettext_noop("Semester"), "Semestre", "Semestre"),
    "generated": (gettext_noop("Generated on"), "Generado el", "Gerado em"),
    "sample": (
        gettext_noop("This bulletin includes sample data for demonstration."),
        "Este boletín incluye datos de ejemplo para demostración.",
        "Este boletim inclui dados de exemplo para demonstração.",
    ),
    "in_brief": (gettext_noop("In brief"), "En resumen", "Em resumo"),
    "agreements": (
        gettext_noop("Agreements signed"),
        "Acuerdos firmados",
        "Acordos assinados",
    ),
    "no_agreements": (
        gettext_noop("No agreement was signed in the semester."),
        "No se firmaron acuerdos en el semestre.",
        "Nenhum acordo foi assinado no semestre.",
    ),
    "code": (gettext_noop("Code"), "Código", "Código"),
    "name": (gettext_noop("Name"), "Nombre", "Nome"),
    "signed": (gettext_noop("Signed on"), "Firmado el", "Assinado em"),
    "stage": (gettext_noop("Current stage"), "Etapa actual", "Etapa atual"),
    "adhered": (
        gettext_noop("Facilities adhered"),
        "Instalaciones adheridas",
        "Instalações aderidas",
    ),
    "no_adhered": (
        gettext_noop("No facility adhered in the semester."),
        "Ninguna instalación adhirió en el semestre.",
        "Nenhuma instalação aderiu no semestre.",
    ),
    "certified": (
        gettext_noop("Facilities certified"),
        "Instalaciones certificadas",
        "Instalações certificadas",
    ),
    "no_certified": (
        gettext_noop("No facility was certified in the semester."),
        "Ninguna instalación se certificó en el semestre.",
        "Nenhuma instalação foi certificada no semestre.",
    ),
    "facility": (gettext_noop("Facility"), "Instalación", "Instalação"),
    "company": (gettext_noop("Company"), "Empresa", "Empresa"),
    "agreement": (gettext_noop("Agreement"), "Acuerdo", "Acordo"),
    "date": (gettext_noop("Date"), "Fecha", "Data"),
    "certificate": (gettext_noop("Certificate"), "Certificado", "Certificado"),
    "changes": (
        gettext_noop("Indicator changes"),
        "Cambios en los indicadores",
        "Mudanças nos indicadores",
    ),
    "no_changes": (
        gettext_noop("No measurement was approved for the semester."),
        "No hay mediciones aprobadas del semestre.",
        "Não há medições aprovadas do semestre.",
    ),
    "plan": (gettext_noop("Plan"), "Plan", "Plano"),
    "indicator": (gettext_noop("Indicator"), "Indicador", "Indicador"),
    "value": (gettext_noop("Value"), "Valor", "Valor"),
    "documents": (
        gettext_noop("New in the knowledge centre"),
        "Novedades del centro de conocimiento",
        "Novidades do centro de conhecimento",
    ),
    "no_documents": (
        gettext_noop("No document was published in the semester."),
        "No se publicaron documentos en el semestre.",
        "Nenhum documento foi publicado no semestre.",
    ),
    "title": (gettext_noop("Title"), "Título", "Título"),
    "kind": (gettext_noop("Kind"), "Tipo", "Tipo"),
    "deadlines": (
        gettext_noop("Upcoming deadlines"),
        "Próximos plazos",
        "Próximos prazos",
    ),
    "no_deadlines": (
        gettext_noop("No deadline falls in the next semester."),
        "Ningún plazo vence en el próximo semestre.",
        "Nenhum prazo vence no próximo semestre.",
    ),
    "deadline_target": (gettext_noop("Target"), "Meta", "Meta"),
    "deadline_node": (gettext_noop("Due date"), "Fecha límite", "Prazo"),
    "what": (gettext_noop("What"), "Qué", "O quê"),
    "archive": (gettext_noop("Bulletin archive"), "Archivo de boletines", "Arquivo de boletins"),
    "archive_intro": (
        gettext_noop(
            "Every six months: agreements, facilities, indicators, documents and "
            "upcoming deadlines."
        ),
        "Cada seis meses: acuerdos, instalaciones, indicadores, documentos y próximos plazos.",
        "A cada seis meses: acordos, instalações, indicadores, documentos e próximos prazos.",
    ),
    "none_yet": (
        gettext_noop("No bulletin has been published yet."),
        "Aún no se ha publicado ningún boletín.",
        "Nenhum boletim foi publicado ainda.",
    ),
    "download": (gettext_noop("Download the PDF"), "Descargar el PDF", "Baixar o PDF"),
    "period": (gettext_noop("Period"), "Período", "Período"),
}

TEMPLATE = (
    typst_pdf.PREAMBLE
    + r"""
#block(width: 100%, stroke: (bottom: 1.2pt + accent), inset: (bottom: 8pt),
  text(size: 20pt, weight: "bold", fill: accent, d.heading))
#text(size: 12pt, d.subtitle) \
#muted(text(size: 9pt, d.generated))
#if d.sample_note != "" [
  #block(fill: luma(240), inset: 8pt, radius: 3pt, width: 100%, d.sample_note)
]

= #l.in_brief
#datatable((1fr, auto), ("", ""), d.brief.map(b => (b.at(0), strong(b.at(1)))))

= #l.agreements
#if d.agreements.len() == 0 [#muted(l.no_agreements)] else [
  #datatable((auto, 1fr, auto, auto), (l.code, l.name, l.signed, l.stage),
    d.agreements.map(a => (a.code, a.name, a.signing_date, a.stage_label)))
]

= #l.adhered (#d.adhered_count)
#if d.adhered.len() == 0 [#muted(l.no_adhered)] else [
  #datatable((auto, 1fr, 1fr, auto, auto), (l.code, l.facility, l.company, l.agreement, l.date),
    d.adhered.map(a => (a.facility_code, a.facility_name, a.company, a.agreement_code, a.date)),
    size: 8pt)
]

= #l.certified (#d.certified_count)
#if d.certified.len() == 0 [#muted(l.no_certified)] else [
  #datatable((auto, 1fr, 1fr, auto, auto),
    (l.certificate, l.facility, l.company, l.agreement, l.date),
    d.certified.map(c => (
      c.certificate_code, c.facility_name, c.company, c.agreement_code, c.date,
    )),
    size: 8pt)
]

= #l.changes
#if d.changes.len() == 0 [#muted(l.no_changes)] else [
  #datatable((1fr, auto, 1.4fr, auto, auto), (l.plan, l.code, l.indicator, l.date, l.value),
    d.changes.map(c => (c.plan_title, c.indicator_code, c.indicator_name, c.date, c.value_label)))
]

= #l.documents
#if d.documents.len() == 0 [#muted(l.no_documents)] else [
  #datatable((1fr, auto, auto), (l.title, l.kind, l.date),
    d.documents.map(x => (x.title, x.kind_label, x.published_on)))
]

= #l.deadlines (#d.next_period)
#if d.deadlines.len() == 0 [#muted(l.no_deadlines)] else [
  #datatable((auto, 1fr, auto, 1.4fr, auto), (l.date, l.plan, l.code, l.what, l.value),
    d.deadlines.map(x => (x.date, x.plan_title, x.code, [#x.kind_label: #x.title], x.value_label)))
]
"""
)


def _value_label(value: str, unit: str, text: str = "") -> str:
    if value:
        shown = number(Decimal(value))
        return f"{shown} {unit}".strip()
    return text or "—"


def _document_kind(kind: str) -> str:
    try:
        from limpia.knowledge.models import Kind
    except ImportError:  # pragma: no cover
        return kind
    return str(Kind(kind).label) if kind in Kind.values else kind


def labelled(content: dict) -> dict:
    """A copy of the content with labels in the active language, for the page and the PDF."""
    labels = typst_pdf.translate(LABELS)
    stages = dict(Stage.choices)
    result = json.loads(json.dumps(content))
    for row in result["agreements_signed"]:
        row["stage_label"] = str(stages.get(row["stage"], row["stage"]))
    for row in result["indicator_changes"]:
        row["value_label"] = _value_label(row["value"], row["unit"], row.get("text", ""))
    for row in result["documents"]:
        row["kind_label"] = _document_kind(row["kind"])
    for row in result["deadlines"]:
        row["kind_label"] = labels[
            "deadline_target" if row["kind"] == "target" else "deadline_node"
        ]
        row["value_label"] = _value_label(row["value"], row["unit"], row.get("text", ""))
    result["labels"] = labels
    result["brief"] = [
        [labels["agreements"], str(len(result["agreements_signed"]))],
        [labels["adhered"], str(result["facilities_adhered"]["count"])],
        [labels["certified"], str(result["facilities_certified"]["count"])],
        [labels["changes"], str(len(result["indicator_changes"]))],
        [labels["documents"], str(len(result["documents"]))],
        [labels["deadlines"], str(len(result["deadlines"]))],
    ]
    return result


def bulletin_pdf(content: dict, *, language: str = "es") -> bytes:
    """The bulletin as PDF bytes, dated the day its content was generated."""
    with translation.override(language):
        shown = labelled(content)
        labels = shown["labels"]
        heading = f"{labels['bulletin']} {content['period']}"
        payload = {
            "title": heading,
            "author": "Limpia",
            "keywords": [content["period"]],
            "language": typst_pdf.language(),
            "footer": heading,
            "labels": labels,
            "heading": heading,
            "subtitle": f"{labels['semester']}: {content['start']} – {content['end']}",
            "generated": f"{labels['generated']} {content['generated_at'][:10]}",
            "sample_note": labels["sample"] if content.get("includes_sample_data") else "",
            "brief": shown["brief"],
            "agreements": shown["agreements_signed"],
            "adhered_count": str(content["facilities_adhered"]["count"]),
            "adhered": shown["facilities_adhered"]["items"],
            "certified_count": str(content["facilities_certified"]["count"]),
            "certified": shown["facilities_certified"]["items"],
            "changes": shown["indicator_changes"],
            "documents": shown["documents"],
            "deadlines": shown["deadlines"],
            "next_period": content["next"]["period"],
        }
        day = dt.date.fromisoformat(content["generated_at"][:10])
        return typst_pdf.render(f"bulletin-{content['period']}", TEMPLATE, payload, day=day)


# ---------------------------------------------------------------- the archive


def archive_dir() -> Path:
    return Path(settings.DATA_DIR) / ARCHIVE


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would differ from every other data file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class WrittenBulletin:
    period: str
    pdf: Path
    json: Path
    seconds: float


def write_bulletin(period: str, *, language: str = "es") -> WrittenBulletin:
    """Generate the bulletin of `period` into the archive (replacing an earlier version)."""
    started = time.perf_counter()
    key = semester(period).key
    content = bulletin_content(key)
    content["language"] = language
    pdf = bulletin_pdf(content, language=language)
    directory = archive_dir()
    json_path, pdf_path = directory / f"{key}.json", directory / f"{key}.pdf"
    text = json.dumps(content, ensure_ascii=False, indent=1)
    _write_atomically(json_path, text.encode("utf-8"))
    _write_atomically(pdf_path, pdf)
    return WrittenBulletin(key, pdf_path, json_path, time.perf_counter() - started)


def archived_content(period: str) -> dict | None:
    """The archived content of a period, or None when that bulletin has not been generated."""
    try:
        key = semester(period).key
    except DomainError:
        return None
    path = archive_dir() / f"{key}.json"
    if not path.is_file() or not (archive_dir() / f"{key}.pdf").is_file():
        return None
    return json.loads(path.read_text("utf-8"))


def archived_pdf(period: str) -> Path | None:
    try:
        key = semester(period).key
    except DomainError:
        return None
    path = archive_dir() / f"{key}.pdf"
    return path if path.is_file() else None


def archived_bulletins() -> list[dict]:
    """The archive, newest first: period, dates, generation time and the PDF's size."""
    directory = archive_dir()
    if not directory.is_dir():
        return []
    rows = []
    for path in directory.glob("*.json"):
        if not PERIOD.fullmatch(path.stem) or not path.with_suffix(".pdf").is_file():
            continue
        try:
            content = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        rows.append(
            {
                "period": path.stem,
                "start": content.get("start", ""),
                "end": content.get("end", ""),
                "generated_at": content.get("generated_at", ""),
                "pdf_bytes": path.with_suffix(".pdf").stat().st_size,
            }
        )
    rows.sort(key=lambda r: r["period"], reverse=True)
    return rows
