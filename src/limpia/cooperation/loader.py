"""`limpia loadcooperation`: the IV meeting's programme proposals and guiding questions
(data/cooperation/lac-programmes.yaml, transcribed verbatim) and the needs the source plans
already state (their cooperation column, «Recursos de cooperación», one need per node that has
one), loaded idempotently: a second load changes nothing.

Run after `limpia loadplans` (the needs hang on the plans' nodes). A need keeps its key
(«plan-slug:node-code»); a need whose node no longer states a cooperation resource is left in
place (it may have been answered) and reported. Nothing personal is loaded: the file holds
organizations and countries only.
"""

from __future__ import annotations

from importlib import resources

import yaml
from django.db import transaction

from limpia.cooperation.models import GuidingQuestion, Need, Programme, ProgrammeKind
from limpia.core.models import Subregion
from limpia.plans.loader import LoadReport, SourceFileError, _upsert
from limpia.plans.models import Node

DATA = resources.files("limpia") / "data" / "cooperation" / "lac-programmes.yaml"
REASON = "loadcooperation"
NEED_SOURCE = "%s, «Recursos de cooperación»"


def _read(path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SourceFileError([f"{path}: {exc}"]) from None
    for section in ("groups", "programmes", "areas", "priority_areas", "annex_v"):
        if section not in data:
            raise SourceFileError([f"{path}: the section «{section}» is missing"])
    return data


def _programmes(data: dict, subregions: dict[str, Subregion]) -> list[dict]:
    """Every programme proposal of the file as the fields of a Programme."""
    groups = {g["key"]: g for g in data["groups"]}
    rows = []
    for item in data["programmes"]:
        if item["kind"] == "common":
            rows.append(
                {
                    "key": item["key"],
                    "kind": ProgrammeKind.COMMON,
                    "label": item["label"],
                    "wording": item["wording"],
                    "position": item["position"],
                    "source_ref": item["source_ref"],
                    "note": item.get("note", ""),
                }
            )
            continue
        for group_key, cell in item["wording"].items():
            if not cell:  # a blank cell proposes nothing
                continue
            group = groups[group_key]
            rows.append(
                {
                    "key": f"nueva-{group['subregion'].replace('_', '-')}-{item['position']}",
                    "kind": ProgrammeKind.NEW,
                    "label": cell,
                    "wording": {group_key: cell},
                    "subregion": subregions[group["subregion"]],
                    "position": item["position"],
                    "source_ref": f"{item['source_ref']}, {group['cuadro_i_header']}",
                    "note": item.get("note", ""),
                }
            )
    areas = data["areas"]
    for position, item in enumerate(areas["items"], start=1):
        rows.append(
            {
                "key": f"area-{item['key'].replace('_', '-')}",
                "kind": ProgrammeKind.AREA,
                "label": item["words"],
                "text": areas["text"],
                "area": item["key"],
                "position": position,
                "source_ref": item["source_ref"],
            }
        )
    priorities = data["priority_areas"]
    for position, item in enumerate(priorities["items"], start=1):
        restated = item.get("restated_in") or {}
        rows.append(
            {
                "key": f"prioridad-{item['letter']}",
                "kind": ProgrammeKind.PRIORITY,
                "label": item["text"],
                "text": item["text"],
                "wording": {restated["source_ref"]: restated["text"]} if restated else {},
                "position": position,
                "source_ref": item["source_ref"],
            }
        )
    return rows


def _node_needs(report: LoadReport) -> None:
    nodes = (
        Node.objects.exclude(resources_cooperation="")
        .select_related("plan")
        .order_by("plan__slug", "depth", "position", "id")
    )
    for node in nodes:
        plan = node.plan
        _upsert(
            report,
            Need,
            {"key": f"{plan.slug}:{node.normalized_code}"},
            {
                "title": node.title[:300],
                "description": node.resources_cooperation,
                "node": node,
                "country_id": plan.country_id,
                "subregion_id": plan.subregion_id,
                "horizon": node.horizon,
                "source_ref": NEED_SOURCE % (node.source_ref or f"{plan.slug} {node.code}"),
            },
            reason=REASON,
        )


@transaction.atomic
def load_cooperation(path=None) -> LoadReport:
    """Load the programme proposals, the guiding questions and the plans' cooperation needs;
    nothing is written when the file is refused."""
    data = _read(path or DATA)
    report = LoadReport()
    wanted = {g["subregion"] for g in data["groups"]}
    subregions = {s.key: s for s in Subregion.objects.filter(key__in=wanted)}
    missing = sorted(wanted - set(subregions))
    if missing:
        raise SourceFileError([f"unknown subregions {missing}: run `limpia loadreference` first"])
    for row in _programmes(data, subregions):
        key = row.pop("key")
        values = {"text": "", "wording": {}, "subregion": None, "area": "", "note": "", **row}
        _upsert(report, Programme, {"key": key}, values, reason=REASON)
    for item in data["annex_v"]["questions"]:
        _upsert(
            report,
            GuidingQuestion,
            {"number": item["number"]},
            {"text": item["text"], "answers": item["answers"], "source_ref": item["source_ref"]},
            reason=REASON,
        )
    _node_needs(report)
    return report
