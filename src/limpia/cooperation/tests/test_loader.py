"""`limpia loadcooperation`: the IV meeting's programme proposals and guiding questions as the
source says them, and the needs the plans' cooperation column states, linked to their nodes."""

from pathlib import Path

import pytest
import yaml

from limpia.cooperation.loader import DATA, load_cooperation
from limpia.cooperation.models import GuidingQuestion, Need, Programme
from limpia.plans.loader import SourceFileError, load_plans, plan_files
from limpia.plans.models import Node

SEEDS = Path(__file__).resolve().parents[5] / "shared" / "seeds"


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def loaded(db):
    load_plans([p for p in plan_files() if p.name.startswith("lac-")])
    return load_cooperation()


def test_the_proposals_are_counted_as_the_file_counts_them(loaded):
    counts = yaml.safe_load(DATA.read_text(encoding="utf-8"))["counts"]
    by_kind = {k: Programme.objects.filter(kind=k).count() for k in ("common", "new")}
    assert by_kind == {
        "common": counts["common_programmes"],  # 5
        "new": counts["new_proposals_non_blank_total"],  # 9: blank cells propose nothing
    }
    assert Programme.objects.filter(kind="area").count() == counts["areas"] == 5
    assert Programme.objects.filter(kind="priority").count() == counts["priority_areas"] == 5
    assert GuidingQuestion.objects.count() == counts["annex_v_questions"] == 8
    caribe = Programme.objects.filter(kind="new", subregion__key="caribbean")
    assert caribe.count() == counts["new_proposals_non_blank"]["grupo_1_caribe"] == 5
    assert set(Programme.objects.filter(kind="area").values_list("area", flat=True)) == {
        "training",
        "technical_assistance",
        "information",
        "technology_transfer",
        "financing",
    }


def test_the_texts_are_verbatim_and_referenced(loaded):
    path = SEEDS / "004_784fad76bf69b00c.txt"
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    source = _flat(path.read_text(encoding="utf-8"))
    missing = []
    for programme in Programme.objects.all():
        assert programme.source_ref, programme.key
        texts = [programme.label, programme.text, *programme.wording.values()]
        missing += [f"{programme.key}: {t[:60]}" for t in texts if t and _flat(t) not in source]
    for question in GuidingQuestion.objects.all():
        texts = [question.text, *question.answers.values()]
        missing += [
            f"question {question.number}: {t[:60]}" for t in texts if _flat(t) not in source
        ]
    assert not missing, "\n".join(missing)
    answers = GuidingQuestion.objects.get(number=1).answers
    assert answers["grupo_3_andina"] == ""  # a blank cell stays blank
    assert "@" not in str(list(GuidingQuestion.objects.values_list("answers", flat=True)))


def test_the_plans_cooperation_column_becomes_needs_on_their_nodes(loaded):
    stated = Node.objects.exclude(resources_cooperation="")
    assert stated.count() > 0
    needs = Need.objects.select_related("node__plan")
    assert needs.count() == stated.count()
    for need in needs:
        node = need.node
        assert need.key == f"{node.plan.slug}:{node.normalized_code}"
        assert need.description == node.resources_cooperation  # verbatim
        assert need.status == "open" and need.kind == ""  # the plans do not say which kind
        assert "Recursos de cooperación" in need.source_ref
        assert need.history.first().history_change_reason == "loadcooperation"
    software = needs.get(description="software, capacitadores")
    assert software.node.plan.slug == "lac-cps-mesoamerica"
    assert software.subregion.key == "mesoamerica"


def test_loading_twice_changes_nothing(loaded):
    assert loaded.changed
    again = load_cooperation()
    assert not again.changed, again.summary()


def test_a_bad_file_is_refused_whole(db, tmp_path):
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    del data["annex_v"]
    path = tmp_path / "lac-programmes.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SourceFileError, match="annex_v"):
        load_cooperation(path)
    assert not Programme.objects.exists() and not Need.objects.exists()
