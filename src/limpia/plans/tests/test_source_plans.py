"""The three source documents, transcribed: counts, verbatim texts, idempotent loading."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from limpia.plans.loader import SourceFileError, load_plans, plan_files
from limpia.plans.models import Indicator, Node, Plan

# The source documents live in ../shared/seeds beside the repository (as in CI).
SEEDS = Path(__file__).resolve().parents[5] / "shared" / "seeds"


@pytest.fixture
def loaded(db):
    load_plans()


def _normalized(text: str) -> str:
    text = re.sub(r"</?b>|\*\*", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _counts(plan: Plan, level_label: str | None = None, depth: int | None = None) -> int:
    nodes = Node.objects.filter(plan=plan)
    if level_label is not None:
        nodes = nodes.filter(level_label=level_label)
    if depth is not None:
        nodes = nodes.filter(depth=depth)
    return nodes.count()


def test_it_loads_panama_six_objectives_eighteen_lines_fifty_actions(loaded):
    plan = Plan.objects.get(slug="pa-pml-plan-accion")
    assert (plan.country_id, plan.status) == ("PA", "approved")
    assert [_counts(plan, depth=d) for d in range(3)] == [6, 18, 50]
    assert plan.level_name(0) == "objetivo específico"
    assert plan.level_name(2) == "acción principal"


def test_it_keeps_panama_dated_targets(loaded):
    targets = {
        t.text: t
        for t in Indicator.objects.get(plan__slug="pa-pml-plan-accion", code="OE1-I2").targets.all()
    }
    target = targets["3 Convenios sectoriales aprobados a Diciembre 2006"]
    assert (target.value, target.due_date) == (Decimal(3), dt.date(2006, 12, 31))
    texts = set(
        Indicator.objects.filter(plan__slug="pa-pml-plan-accion").values_list(
            "targets__text", flat=True
        )
    )
    assert "50 profesionales capacitados a Septiembre 2007" in texts
    assert "Edición de 1000 guías en 15 rubros" in texts


def test_it_normalizes_misnumbered_codes_and_keeps_the_source_code(loaded):
    node = Node.objects.get(plan__slug="pa-pml-plan-accion", normalized_code="2.3.2")
    assert node.code == "2.4.2."
    assert node.note


def test_it_loads_chile_goals_for_2010_as_plan_indicators(loaded):
    plan = Plan.objects.get(slug="cl-politica-pl-2010")
    assert plan.adopted_on == dt.date(2006, 11, 24)
    goals = {i.code: i for i in plan.indicators.filter(node__isnull=True)}
    assert len(goals) == 3
    new_companies = goals["META-a"]
    assert new_companies.measure == "increment"
    assert [(t.value, t.due_date) for t in new_companies.targets.all()] == [
        (Decimal(2000), dt.date(2010, 12, 31))
    ]
    assert [t.value for t in goals["META-b"].targets.all()] == [Decimal(600)]
    assert all(t.due_date == dt.date(2010, 12, 31) for g in goals.values() for t in g.targets.all())


def test_it_loads_chile_objectives_lines_and_measures(loaded):
    plan = Plan.objects.get(slug="cl-politica-pl-2010")
    objectives = Node.objects.filter(plan=plan, level_label="objetivo específico", depth=0)
    assert sorted(objectives.values_list("normalized_code", flat=True)) == list("abcdefghijklmn")
    lines = Node.objects.filter(plan=plan, depth=0).exclude(level_label="objetivo específico")
    assert sorted(lines.values_list("normalized_code", flat=True)) == [
        f"3.{n}" for n in range(1, 10)
    ]
    assert Node.objects.filter(plan=plan, level_label="medida").count() >= 20
    labels = [s["label"] for s in plan.statements]
    assert any("Visión" in label for label in labels)


def test_it_loads_the_regional_plan_with_four_subregional_plans(loaded):
    regional = Plan.objects.get(slug="lac-cps-plan-regional")
    assert regional.jurisdiction == "LAC"
    assert _counts(regional, depth=0) == 5
    subregional = {p.jurisdiction for p in regional.subplans.filter(status="approved")}
    assert subregional == {"caribbean", "mesoamerica", "andean", "southern_cone"}
    mesoamerica = Plan.objects.get(slug="lac-cps-mesoamerica")
    assert _counts(mesoamerica, depth=0) == 11
    cono_sur = Plan.objects.get(slug="lac-cps-cono-sur")
    assert _counts(cono_sur, depth=0) == 8
    assert _counts(cono_sur, level_label="") + _counts(cono_sur, "resultado esperado") >= 16
    proposals = set(regional.subplans.values_list("slug", flat=True))
    assert {"lac-cps-propuestas-ong", "lac-cps-propuestas-empresas"} <= proposals


@pytest.mark.parametrize("path", plan_files(), ids=lambda p: p.name)
def test_it_transcribes_texts_verbatim(path):
    assert SEEDS.is_dir(), f"the source documents are expected in {SEEDS}"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = _normalized((SEEDS / data["source"]["file"]).read_text(encoding="utf-8"))
    missing = []

    def check(text, where):
        if text and _normalized(str(text)) not in source:
            missing.append(f"{where}: {text[:80]!r}")

    def walk(nodes):
        for node in nodes:
            check(node.get("title"), f"node {node['code']}")
            for indicator in node.get("indicators") or []:
                check(indicator.get("name"), f"indicator {indicator['code']}")
            walk(node.get("children") or [])

    walk(data.get("nodes") or [])
    for indicator in data.get("indicators") or []:
        check(indicator.get("name"), f"indicator {indicator['code']}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("path", plan_files(), ids=lambda p: p.name)
def test_it_keeps_a_source_reference_on_every_item(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["source"]["file"]
    unreferenced = []

    def walk(nodes):
        for node in nodes:
            if not node.get("source"):
                unreferenced.append(node["code"])
            walk(node.get("children") or [])

    walk(data.get("nodes") or [])
    assert not unreferenced


def test_it_loads_no_personal_contact_details():
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    phone = re.compile(r"\(?\+?\d{2,4}\)?[\s-]\d{3,4}[\s-]\d{3,4}")
    data_dir = plan_files()[0].parent.parent
    for path in data_dir.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert not email.search(text), f"e-mail address in {path.name}"
        assert not phone.search(text), f"phone number in {path.name}"


def test_it_reloads_without_changing_anything(loaded, capsys):
    before = Plan.history.count() + Node.history.count() + Indicator.history.count()
    report = load_plans()
    assert not report.changed
    after = Plan.history.count() + Node.history.count() + Indicator.history.count()
    assert after == before
    call_command("loadplans")
    assert "created nothing; updated nothing; deleted nothing" in capsys.readouterr().out


def test_it_updates_in_place_when_a_file_changes(loaded, tmp_path):
    source = next(p for p in plan_files() if p.name == "pa-pml-plan-accion.yaml")
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["nodes"][0]["title"] = "Título corregido"
    edited = tmp_path / "pa-pml-plan-accion.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    node_count = Node.objects.count()
    report = load_plans([edited])
    assert report.updated == {"nodes": 1}
    assert Node.objects.count() == node_count
    assert Node.objects.get(plan__slug="pa-pml-plan-accion", normalized_code="1").title == (
        "Título corregido"
    )


def test_it_refuses_a_broken_file_and_writes_nothing(db, tmp_path):
    broken = tmp_path / "roto.yaml"
    broken.write_text(
        yaml.safe_dump(
            {
                "slug": "roto",
                "title": "Plan roto",
                "jurisdiction": "CL",
                "period_start": "2020-01-01",
                "period_end": "2019-01-01",
                "nodes": [
                    {"code": "1", "title": "Uno", "horizon": "someday"},
                    {"code": "1.", "title": "Uno otra vez"},
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(SourceFileError) as refused:
        load_plans([broken])
    message = "\n".join(refused.value.errors)
    assert "period_end is before period_start" in message
    assert "'horizon' must be one of" in message
    assert "normalized code '1' is used twice" in message
    assert not Plan.objects.filter(slug="roto").exists()
