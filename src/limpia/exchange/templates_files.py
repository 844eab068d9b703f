"""Empty workbooks to download and fill in: the header rows the importer reads, and a sheet of
instructions in Spanish. One per kind of import: plan and agreement."""

from __future__ import annotations

import io

from limpia.core.errors import DomainError
from limpia.exchange.agreement_import import AGREEMENT_KEYS
from limpia.exchange.agreement_workbooks import (
    ACTION_COLUMNS,
    AUDIT_ITEM_COLUMNS,
    AUDITOR_COLUMNS,
    FACILITY_COLUMNS,
    GOAL_COLUMNS,
    SIGNATORY_COLUMNS,
)
from limpia.exchange.plan_import import PLAN_KEYS
from limpia.exchange.workbooks import (
    INDICATOR_COLUMNS,
    MEASUREMENT_COLUMNS,
    NODE_COLUMNS,
    TARGET_COLUMNS,
)

PLAN_INSTRUCTIONS = [
    ("Plantilla de importación de un plan", ""),
    ("", ""),
    ("Hoja", "Qué contiene"),
    (
        "plan",
        "Una fila por dato: en la columna A la clave, en la B el valor. Obligatorias: slug, "
        "title, jurisdiction, period_start, period_end.",
    ),
    (
        "nodes",
        "Un elemento del árbol por fila (objetivo, línea, acción...). code y title obligatorios; "
        "parent_code es el código del elemento padre (vacío en el primer nivel).",
    ),
    (
        "indicators",
        "Un indicador por fila. code, name y kind obligatorios; node_code vacío = indicador del "
        "plan.",
    ),
    (
        "targets",
        "Una meta por fila: indicator_code, value, due_date (y text si se expresa en palabras).",
    ),
    (
        "measurements",
        "Una medición por fila: indicator_code, date, value, status, comment. "
        "Columnas dim:<nombre> para desagregar (p. ej. dim:sexo).",
    ),
    ("", ""),
    ("Valores", ""),
    ("kind", "quantity, milestone, qualitative (o cantidad, hito, cualitativo)"),
    ("measure", "level, increment (o nivel, incremento)"),
    ("direction", "increase, decrease (o aumentar, disminuir)"),
    ("status (plan)", "draft, approved, archived (o borrador, aprobado, archivado)"),
    (
        "status (medición)",
        "draft, submitted, approved, returned (o borrador, enviado, aprobado, devuelto). Solo "
        "un administrador o un revisor del plan puede importar mediciones aprobadas.",
    ),
    ("horizon", "short, medium, long (o corto, mediano, largo)"),
    ("Hitos", "El valor de una medición de un hito es 1 (cumplido) o 0 (no cumplido)."),
    ("Fechas", "AAAA-MM-DD, dd/mm/aaaa o una fecha de Excel."),
    ("Números", "Con punto o coma decimal: 12.5 o 12,5. Sin fórmulas: pegue los valores."),
    ("Varios valores", "Separados por punto y coma: minamb; corfo"),
    (
        "Responsables",
        "Clave o nombre exacto de la organización; si no existe, la importación la crea.",
    ),
    ("", ""),
    (
        "Reimportar",
        "Importar el mismo archivo otra vez no cambia nada; un archivo corregido actualiza en su "
        "lugar. Las filas que faltan en el archivo no se borran.",
    ),
    ("Errores", "Si hay un error, no se escribe nada; cada error indica hoja, fila y columna."),
    ("Más detalles", "docs/import-format.md"),
]


def plan_template_sheets() -> dict[str, tuple[list[str], list[list]]]:
    return {
        "plan": (["key", "value"], [[key, None] for key in PLAN_KEYS]),
        "nodes": (NODE_COLUMNS, []),
        "indicators": (INDICATOR_COLUMNS, []),
        "targets": (TARGET_COLUMNS, []),
        "measurements": (MEASUREMENT_COLUMNS, []),
    }


AGREEMENT_INSTRUCTIONS = [
    ("Plantilla de importación de un Acuerdo de Producción Limpia", ""),
    ("", ""),
    ("Hoja", "Qué contiene"),
    (
        "agreement",
        "Una fila por dato: en la columna A la clave, en la B el valor. Obligatorias: slug, "
        "code, name, territory (país o regiones ISO 3166-2 separadas por ;).",
    ),
    ("signatories", "Una organización firmante por fila: organization (clave o nombre), role."),
    ("goals", "Una meta por fila: code, title."),
    (
        "actions",
        "Una acción por fila: code, goal_code, text; plazo en meses (deadline_months, "
        "deadline_from) o fecha (deadline_date); indicador de desempeño, medio de verificación.",
    ),
    (
        "facilities",
        "Una instalación adherida por fila: RUT o identificador tributario de la empresa, su "
        "nombre y tamaño, código y nombre de la instalación, región, fecha de adhesión.",
    ),
    (
        "auditors",
        "Auditores del registro: auditor_id, name, registered_from, registered_until, "
        "specialities (sectores CIIU separados por ;).",
    ),
    (
        "audit_items",
        "Un ítem de auditoría por fila: facility_code, audit_type, audit_date, auditor_id, "
        "action_code, applies, reason (si no aplica), complies, observation.",
    ),
    ("", ""),
    ("Valores", ""),
    ("stage", "interest … closed, cancelled (o interés, firmado, adhesión, implementación…)"),
    ("role", "business_association, public_body, regulator, funding_agency"),
    ("deadline_from", "signing, adhesion_end (o firma, fin de la adhesión)"),
    ("scope", "organization, facility, equipment, product"),
    ("responsible", "company, association (o empresa, asociación)"),
    ("size", "micro, pequeña, mediana, grande"),
    ("audit_type", "intermediate, final, correction, maintenance"),
    ("applies, complies", "yes, no (o sí/no, true/false, 1/0)"),
    ("Fechas", "AAAA-MM-DD, dd/mm/aaaa o una fecha de Excel."),
    ("Varios valores", "Separados por punto y coma: C10; C11"),
    ("", ""),
    (
        "Reimportar",
        "Importar el mismo archivo otra vez no cambia nada; un archivo corregido actualiza en su "
        "lugar.",
    ),
    ("Errores", "Si hay un error, no se escribe nada; cada error indica hoja, fila y columna."),
    ("Más detalles", "docs/import-format-agreements.md"),
]


def agreement_template_sheets() -> dict[str, tuple[list[str], list[list]]]:
    return {
        "agreement": (["key", "value"], [[key, None] for key in AGREEMENT_KEYS]),
        "signatories": (SIGNATORY_COLUMNS, []),
        "goals": (GOAL_COLUMNS, []),
        "actions": (ACTION_COLUMNS, []),
        "facilities": (FACILITY_COLUMNS, []),
        "auditors": (AUDITOR_COLUMNS, []),
        "audit_items": (AUDIT_ITEM_COLUMNS, []),
    }


def _workbook(instructions: list[tuple[str, str]], sheets: dict) -> bytes:
    """An .xlsx with an `instrucciones` sheet first, then one sheet per header row."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "instrucciones"
    for row in instructions:
        sheet.append(list(row))
    sheet["A1"].font = Font(bold=True, size=14)
    for number, (first, _second) in enumerate(instructions, start=1):
        if first in ("Hoja", "Valores"):
            sheet[f"A{number}"].font = Font(bold=True)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 110
    for row in sheet.iter_rows():
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    for name, (header, rows) in sheets.items():
        data = workbook.create_sheet(name)
        data.append(header)
        for cell in data[1]:
            cell.font = Font(bold=True)
        for row in rows:
            data.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_template() -> bytes:
    """The empty plan workbook (.xlsx) with an `instrucciones` sheet first."""
    return _workbook(PLAN_INSTRUCTIONS, plan_template_sheets())


def agreement_template() -> bytes:
    """The empty agreement workbook (.xlsx) with an `instrucciones` sheet first."""
    return _workbook(AGREEMENT_INSTRUCTIONS, agreement_template_sheets())


TEMPLATES = {
    "plan": ("plantilla-plan.xlsx", plan_template),
    "agreement": ("plantilla-acuerdo.xlsx", agreement_template),
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template(kind: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the empty workbook for `kind`."""
    if kind not in TEMPLATES:
        raise DomainError(f"No template for {kind!r}; there is one for: {', '.join(TEMPLATES)}.")
    filename, build = TEMPLATES[kind]
    return filename, XLSX_TYPE, build()
