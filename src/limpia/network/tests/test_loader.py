"""The network's source data: the IV meeting, both compositions of the steering committee,
the participation counts of para 2, Panamá's and Chile's bodies; verbatim, referenced,
idempotent, and nothing personal."""

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from limpia.network.loader import NETWORK_DIR, load_network, network_files
from limpia.network.models import (
    AgendaItem,
    Body,
    Commitment,
    Decision,
    FocalPoint,
    Meeting,
    Membership,
    Participation,
)
from limpia.plans.loader import SourceFileError, load_plans, plan_files

SEEDS = Path(__file__).resolve().parents[5] / "shared" / "seeds"


def _source(name: str) -> str:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    return " ".join(path.read_text(encoding="utf-8").split())


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_iv_meeting_is_loaded_as_the_source_tells(network):
    meeting = Meeting.objects.get(key="iv-reunion")
    assert (meeting.number, meeting.starts_on, meeting.ends_on) == (
        4,
        dt.date(2007, 10, 18),
        dt.date(2007, 10, 19),
    )
    assert meeting.body.key == "consejo-expertos-cps-alc"
    assert meeting.total_participants == 85
    counts = dict(
        Participation.objects.filter(meeting=meeting, organization__isnull=True).values_list(
            "kind", "count"
        )
    )
    assert counts == {
        "government": 24,
        "ngo": 12,
        "cp_centre": 5,
        "business_union": 6,
        "academia": 7,
        "bank_cooperation": 2,
        "local": 7,
        "international": 10,
    }
    assert AgendaItem.objects.filter(meeting=meeting).count() == 23
    para_60 = Decision.objects.filter(meeting=meeting, number__startswith="60 ")
    assert sorted(para_60.values_list("number", flat=True)) == [f"60 {c}" for c in "abcdefg"]
    recommendations = Decision.objects.filter(meeting=meeting, kind="recommendation")
    assert sorted(recommendations.values_list("number", flat=True)) == [str(n) for n in range(1, 8)]
    assert {d.addressed_to.key for d in recommendations} == {"foro-ministros-medio-ambiente-alc"}
    assert Decision.objects.filter(meeting=meeting, number="73", kind="conclusion").exists()


def test_both_compositions_of_the_steering_committee(network):
    committee = network["comite-directivo-consejo-cps-alc"]

    def on(day):
        return sorted(
            (m.organization.key, m.role, m.status_note)
            for m in Membership.objects.filter(body=committee).exclude(role="secretariat")
            if m.current_on(day)
        )

    assert on(dt.date(2007, 6, 1)) == [
        ("gobierno-ar", "coordinator", ""),
        ("gobierno-ni", "coordinator", ""),
        ("gobierno-pe", "coordinator", ""),
        ("gobierno-tt", "coordinator", ""),
    ]
    assert on(dt.date(2008, 1, 1)) == [
        ("gobierno-br", "coordinator", ""),
        ("gobierno-do", "alternate", ""),
        ("gobierno-ec", "coordinator", ""),
        ("gobierno-pa", "titular", ""),
        ("gobierno-tt", "coordinator", "Ad referéndum"),
    ]
    elected = Membership.objects.filter(body=committee, elected_at__key="iv-reunion")
    assert elected.count() == 5


def test_focal_points_and_members_are_organizations(network):
    council = network["consejo-expertos-cps-alc"]
    points = FocalPoint.objects.filter(body=council)
    assert points.count() == 22
    assert set(points.values_list("position", flat=True)) == {"Punto Focal CPS"}
    assert not points.exclude(person_name="").exists()
    assert not points.exclude(contact="").exists()
    members = Membership.objects.filter(body=council, role="member")
    assert members.count() == 22
    assert Membership.objects.get(body=council, role="secretariat").organization.key == (
        "pnuma-orpalc"
    )


def test_nothing_personal_is_loaded(network):
    data_dir = Path(str(NETWORK_DIR))
    text = "\n".join(p.read_text(encoding="utf-8") for p in data_dir.glob("*.yaml"))
    assert "@" not in text
    assert not re.search(r"\b(Tel|Fax|Mr\.|Ms\.|Sra?\.|Dr\.)\s", text)
    annex = _source("004_784fad76bf69b00c.txt")
    # a few people named in Annex III are nowhere in the data
    for name in ("Frances M. Fuller", "Travis Sinckler", "Luciano Ramírez"):
        assert name in annex
        assert name not in text


def test_texts_are_verbatim(network):
    lac = _source("004_784fad76bf69b00c.txt")
    chile = _source("002_606807f93e0c94a2.txt")
    panama = _source("000_99f94833df735e4e.txt")
    sources = {"consejo-expertos-cps-alc": lac, "foro-ministros-medio-ambiente-alc": lac}
    missing = []
    for decision in Decision.objects.select_related("meeting__body"):
        body = decision.meeting.body.key
        text = sources.get(body, chile)
        # sub-items joined with their letter: each line is in the source
        for line in decision.text.splitlines():
            line = re.sub(r"^[a-z]+\)\s*", "", line.strip()) if decision.note else line
            if _flat(line) not in text:
                missing.append(f"decision {decision.number}: {line[:60]}")
    for item in AgendaItem.objects.all():
        if _flat(item.title) not in lac:
            missing.append(f"agenda: {item.title}")
    for body in Body.objects.exclude(founding_act=""):
        if _flat(body.founding_act) not in lac + chile + panama:
            missing.append(f"body {body.key}: founding act")
    for part in Participation.objects.exclude(text="").filter(organization__isnull=True):
        assert part.source_ref
    assert not missing, "\n".join(missing)


def test_every_item_keeps_its_source_reference(network):
    for model in (Body, Meeting, Decision, Commitment, Membership, FocalPoint):
        empty = model.objects.filter(source_ref="")
        if model is Body:
            empty = empty.filter(is_sample=False)
        assert not empty.exists(), model


def test_the_commitments_of_para_60_and_their_readings(network):
    council = network["consejo-expertos-cps-alc"]
    biennial = Commitment.objects.get(decision__number="60 c")
    assert (biennial.rule, biennial.every_months, biennial.meeting_kinds) == (
        "meetings",
        24,
        ["extended"],
    )
    assert biennial.tracked_body == council
    assert "Bianual" in biennial.reading
    fifth = Commitment.objects.get(decision__number="60 d")
    assert (fifth.rule, fifth.every_months, fifth.due_on) == (
        "meetings",
        None,
        dt.date(2009, 12, 31),
    )
    assert Commitment.objects.filter(decision__number="60 e").count() == 2


def test_panama_bodies_are_to_be_established_with_no_members(network):
    for key in ("secretaria-interinstitucional-pml", "mesa-publico-privada-pml"):
        body = network[key]
        assert (body.status, body.founded_on, body.country_id) == ("proposed", None, "PA")
        assert not body.memberships.exists()
        assert body.organization.key == key  # the plan's responsible organization


def test_chile_council_and_no_invented_regions(network):
    council = network["consejo-nacional-produccion-limpia"]
    assert council.founded_on == dt.date(2000, 12, 31)
    assert "cinco Comités Regionales" in council.note and "ocho regiones" in council.note
    assert not Body.objects.filter(kind="regional_committee", country_id="CL").exists()
    board = network["consejo-directivo-cpl"]
    assert board.memberships.filter(role="titular").count() == 8
    assert board.memberships.filter(role="alternate").count() == 5
    approval = Decision.objects.get(number="071")
    assert approval.meeting.starts_on == dt.date(2006, 11, 24)


def test_loading_twice_changes_nothing(network):
    report = load_network()
    assert not report.changed, report.summary()
    council = network["consejo-expertos-cps-alc"]
    assert [h.history_change_reason for h in council.history.all()] == ["loadnetwork"]


def test_a_bad_file_is_refused_whole(db, tmp_path):
    load_plans([p for p in plan_files() if p.name.startswith(("pa-", "cl-"))])
    data = yaml.safe_load(Path(str(network_files()[0])).read_text(encoding="utf-8"))
    data["meetings"][0]["country"] = "XX"
    data["memberships"][0]["term_from"] = dt.date(2008, 1, 1)  # after its term_to
    path = tmp_path / "lac-consejo-cps.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tmp_path / "lac-consejo-participantes.yaml").write_text(
        Path(str(NETWORK_DIR / "lac-consejo-participantes.yaml")).read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    with pytest.raises(SourceFileError) as refused:
        load_network([path])
    errors = "\n".join(refused.value.errors)
    assert "meeting iv-reunion: unknown country 'XX'" in errors
    assert "membership 1: 'term_to' 2007-10-19 is before 'term_from' 2008-01-01" in errors
    assert not Body.objects.exists()
