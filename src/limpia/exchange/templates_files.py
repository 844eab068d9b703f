"""Empty workbooks to download and fill in: the header rows the importer reads, and a sheet of
instructions in Spanish. One per kind of import (for now: plan)."""

from __future__ import annotations

import io

from limpia.core.errors import DomainError
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


def plan_template() -> bytes:
    """The empty plan workbook (.xlsx) with an `instrucciones` sheet first."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    workbook = openpyxl.Workbook()
    instructions = workbook.active
    instructions.title = "instrucciones"
    for row in PLAN_INSTRUCTIONS:
        instructions.append(list(row))
    instructions["A1"].font = Font(bold=True, size=14)
    for cell in ("A3", "A10"):
        instructions[cell].font = Font(bold=True)
    instructions.column_dimensions["A"].width = 22
    instructions.column_dimensions["B"].width = 110
    for row in instructions.iter_rows():
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    for name, (header, rows) in plan_template_sheets().items():
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATES = {"plan": ("plantilla-plan.xlsx", plan_template)}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template(kind: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the empty workbook for `kind`."""
    if kind not in TEMPLATES:
        raise DomainError(f"No template for {kind!r}; there is one for: {', '.join(TEMPLATES)}.")
    filename, build = TEMPLATES[kind]
    return filename, XLSX_TYPE, build()
