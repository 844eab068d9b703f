"""Export a plan as the workbook the importer reads: .xlsx, a .zip of CSV files, or JSON.

The sheets and columns are exactly those of docs/import-format.md, so an exported workbook
imports back to the same data. Text that a spreadsheet would take for a formula (starting with
=, +, - or @) gets a leading quote, which the importer removes; numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from limpia.core.errors import DomainError
from limpia.exchange.tabular import neutralise
from limpia.plans.models import Indicator, Measurement, Node, NodeResponsibility, Plan, Target

FORMATS = ("xlsx", "csv", "json")
NODE_COLUMNS = [
    "code",
    "normalized_code",
    "parent_code",
    "title",
    "description",
    "expected_result",
    "responsible",
    "support",
    "due_date",
    "horizon",
    "weight",
    "level_label",
    "responsible_text",
    "due_text",
    "source_ref",
    "note",
]
INDICATOR_COLUMNS = [
    "code",
    "node_code",
    "name",
    "kind",
    "unit",
    "measure",
    "direction",
    "baseline_value",
    "baseline_date",
    "weight",
    "description",
    "source_ref",
    "note",
]
TARGET_COLUMNS = ["indicator_code", "value", "due_date", "text"]
# `value` holds a qualitative indicator's text; `text` is the text reported beside a number.
MEASUREMENT_COLUMNS = [
    "indicator_code",
    "date",
    "value",
    "status",
    "comment",
    "evidence_url",
    "text",
]


def _number(value: Decimal | None) -> int | Decimal | None:
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else value


def plan_sheets(plan: Plan) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """sheet → (header, rows) with typed values (dates, numbers, text)."""
    plan_rows = [
        ["slug", plan.slug],
        ["title", plan.title],
        ["short_title", plan.short_title],
        ["jurisdiction", plan.jurisdiction],
        ["parent", plan.parent.slug if plan.parent_id else ""],
        ["period_start", plan.period_start],
        ["period_end", plan.period_end],
        ["status", plan.status],
        ["level_names", "; ".join(plan.level_names or [])],
        ["source", plan.source_title],
        ["source_file", plan.source_file],
        ["source_publisher", plan.source_publisher],
        ["source_section", plan.source_section],
        ["adopted_on", plan.adopted_on],
        ["adopted_by", plan.adopted_by],
        ["description", plan.description],
    ]

    nodes = list(Node.objects.filter(plan=plan).order_by("depth", "position", "id"))
    by_id = {n.pk: n for n in nodes}
    children: dict[int | None, list[Node]] = {}
    for node in sorted(nodes, key=lambda n: (n.position, n.pk)):
        children.setdefault(node.parent_id, []).append(node)
    ordered: list[Node] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.pk, [])))
    roles: dict[int, dict[str, list[str]]] = {}
    for node_id, key, role in (
        NodeResponsibility.objects.filter(node__plan=plan)
        .order_by("id")
        .values_list("node_id", "organization__key", "role")
    ):
        roles.setdefault(node_id, {}).setdefault(role, []).append(key)
    node_rows = []
    for node in ordered:
        parent = by_id.get(node.parent_id)
        node_roles = roles.get(node.pk, {})
        node_rows.append(
            [
                node.code,
                node.normalized_code,
                parent.normalized_code if parent else "",
                node.title,
                node.description,
                node.expected_result,
                "; ".join(node_roles.get("lead", [])),
                "; ".join(node_roles.get("support", [])),
                node.due_date,
                node.horizon,
                _number(node.weight),
                node.level_label,
                node.responsible_text,
                node.due_text,
                node.source_ref,
                node.note,
            ]
        )

    node_order = {n.pk: i for i, n in enumerate(ordered)}
    indicators = sorted(
        Indicator.objects.filter(plan=plan),
        key=lambda i: (-1 if i.node_id is None else node_order[i.node_id], i.position, i.pk),
    )
    indicator_rows = [
        [
            i.code,
            by_id[i.node_id].normalized_code if i.node_id else "",
            i.name,
            i.kind,
            i.unit,
            i.measure,
            i.direction,
            _number(i.baseline_value),
            i.baseline_date,
            _number(i.weight),
            i.description,
            i.source_ref,
            i.note,
        ]
        for i in indicators
    ]
    codes = {i.pk: i.code for i in indicators}
    position = {i.pk: n for n, i in enumerate(indicators)}
    targets = sorted(
        Target.objects.filter(indicator__plan=plan),
        key=lambda t: (position[t.indicator_id], t.due_date or dt.date.max, t.pk),
    )
    target_rows = [[codes[t.indicator_id], _number(t.value), t.due_date, t.text] for t in targets]

    measurements = list(
        Measurement.objects.filter(indicator__plan=plan)
        .order_by("indicator_id", "date", "id")
        .values(
            "indicator_id",
            "date",
            "value",
            "text",
            "status",
            "comment",
            "evidence_url",
            "disaggregation",
        )
    )
    dims = sorted({d for m in measurements for d in (m["disaggregation"] or {})})
    kinds = {i.pk: i.kind for i in indicators}
    measurement_rows = []
    for m in sorted(measurements, key=lambda m: (position[m["indicator_id"]], m["date"])):
        qualitative = kinds[m["indicator_id"]] == "qualitative"
        measurement_rows.append(
            [
                codes[m["indicator_id"]],
                m["date"],
                m["text"] if qualitative else _number(m["value"]),
                m["status"],
                m["comment"],
                m["evidence_url"],
                "" if qualitative else m["text"],
                *[(m["disaggregation"] or {}).get(d, "") for d in dims],
            ]
        )
    return {
        "plan": (["key", "value"], plan_rows),
        "nodes": (NODE_COLUMNS, node_rows),
        "indicators": (INDICATOR_COLUMNS, indicator_rows),
        "targets": (TARGET_COLUMNS, target_rows),
        "measurements": (MEASUREMENT_COLUMNS + [f"dim:{d}" for d in dims], measurement_rows),
    }


def _cell(value: Any) -> Any:
    if value is None or value == "":
        return None
    return neutralise(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(neutralise(value))


def _json_value(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return neutralise(value) if isinstance(value, str) else value


def sheets_to_xlsx(sheets: dict[str, tuple[list[str], list[list[Any]]]]) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    for name, (header, rows) in sheets.items():
        worksheet = workbook.create_sheet(name)
        cells = []
        for title in header:
            cell = WriteOnlyCell(worksheet, value=title)
            cell.font = bold
            cells.append(cell)
        worksheet.append(cells)
        for row in rows:
            values = []
            for value in row:
                value = _cell(value)
                if isinstance(value, dt.date):
                    cell = WriteOnlyCell(worksheet, value=value)
                    cell.number_format = "yyyy-mm-dd"
                    value = cell
                values.append(value)
            worksheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheets_to_csv_zip(sheets: dict[str, tuple[list[str], list[list[Any]]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (header, rows) in sheets.items():
            text = io.StringIO(newline="")
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow([_text(v) for v in row])
            archive.writestr(f"{name}.csv", "\ufeff" + text.getvalue())
    return buffer.getvalue()


def sheets_to_json(sheets: dict[str, tuple[list[str], list[list[Any]]]]) -> dict[str, list]:
    return {
        name: [dict(zip(header, (_json_value(v) for v in row), strict=True)) for row in rows]
        for name, (header, rows) in sheets.items()
    }


def export_plan(plan: Plan, fmt: str = "xlsx") -> bytes | dict:
    """xlsx bytes, zip-of-CSV bytes, or (fmt="json") a dict of sheet → list of row dicts."""
    sheets = plan_sheets(plan)
    if fmt == "xlsx":
        return sheets_to_xlsx(sheets)
    if fmt == "csv":
        return sheets_to_csv_zip(sheets)
    if fmt == "json":
        return sheets_to_json(sheets)
    raise DomainError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.", field="format")


def export_filename(plan: Plan, fmt: str) -> str:
    return f"{plan.slug}.{ {'xlsx': 'xlsx', 'csv': 'zip', 'json': 'json'}[fmt] }"


def export_plan_command(*, slug, output=None, fmt=None, stdout=None) -> None:
    """`limpia export plan SLUG [-o FILE] [--format xlsx|csv|json]`."""
    plan = Plan.objects.filter(slug=slug).first()
    if plan is None:
        raise DomainError(f"No plan with slug {slug!r}.")
    write_export(lambda chosen: export_plan(plan, chosen), output=output, fmt=fmt, stdout=stdout)


def write_export(build, *, output=None, fmt=None, stdout=None) -> None:
    """Write `build(fmt)` (a workbook export) to `output`, or JSON to the standard output.

    Without `fmt`, the output's suffix decides (.xlsx, .zip or .csv, .json); no output is JSON.
    """
    import sys

    stdout = stdout or sys.stdout
    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        fmt = {".xlsx": "xlsx", ".zip": "csv", ".csv": "csv", ".json": "json"}.get(
            suffix, "xlsx" if output else "json"
        )
    if fmt not in FORMATS:
        raise DomainError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    content = build(fmt)
    if fmt == "json":
        text = json.dumps(content, ensure_ascii=False, indent=2)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
        else:
            stdout.write(text)
            return
    else:
        if not output:
            raise DomainError(f"A {fmt} export is a binary file: name it with -o FILE.")
        Path(output).write_bytes(content)
    stdout.write(f"Wrote {output}.")
