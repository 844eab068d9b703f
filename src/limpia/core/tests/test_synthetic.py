"""`limpia generate`: synthetic data at a scale of Chile 2023, the same for the same seed, with
history rows, removable without touching anything else."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from limpia.agreements.models import Adhesion, Agreement, Audit, AuditItem, Certificate, Facility
from limpia.agreements.services import certificate_payload
from limpia.core.signing import verify
from limpia.core.synthetic import FACILITIES, REASON
from limpia.plans.models import Indicator, Measurement, Plan

pytestmark = pytest.mark.django_db

SCALE = "0.04"
GENERATED = [Agreement, Facility, Adhesion, Audit, AuditItem, Certificate, Indicator, Measurement]


def generate(*arguments) -> str:
    out = io.StringIO()
    call_command("generate", *arguments, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """What the generator decided: who adhered where, each audit item's outcome, each value."""
    return {
        "adhesions": list(
            Adhesion.objects.order_by("facility__code").values_list(
                "facility__code", "agreement__code", "adhered_on"
            )
        ),
        "items": list(
            AuditItem.objects.order_by(
                "audit__facility__code", "audit__audit_type", "action__code"
            ).values_list("audit__facility__code", "action__code", "applies", "complies")
        ),
        "values": list(
            Measurement.objects.filter(is_sample=True)
            .order_by("indicator__plan__slug", "indicator__code", "date")
            .values_list("indicator__code", "date", "value")
        ),
    }


def test_it_generates_the_scaled_programme_with_history(ana):
    said = generate("--scale", SCALE, "--seed", "7")

    assert "Generated " in said and "at scale 0.04 (seed 7)" in said
    facilities = Facility.objects.filter(code__startswith="GEN-F")
    assert facilities.count() == int(FACILITIES * Decimal(SCALE) + Decimal("0.5"))
    assert Adhesion.objects.count() == facilities.count()  # each adheres to one agreement
    assert Adhesion.objects.filter(agreement__code="GEN-00001").count() == 80  # 2,000 × 0.04
    finals = Audit.objects.filter(audit_type="final").count()
    assert 0.7 < finals / facilities.count() < 0.9  # 80 % of the facilities
    assert 25 < AuditItem.objects.count() / Audit.objects.count() < 36  # about 30 actions
    assert Indicator.objects.filter(plan__slug__startswith="gen-").count() == 200
    assert Measurement.objects.filter(is_sample=True).count() == 4000
    assert Indicator.objects.filter(plan__slug="gen-plan-001").count() == 80  # 2,000 × 0.04
    assert Agreement.objects.exclude(is_sample=True).filter(code__startswith="GEN-").count() == 0
    for certificate in Certificate.objects.select_related("facility__company")[:20]:
        assert verify(certificate_payload(certificate), certificate.signature)
        assert not certificate.final_audit.items.filter(applies=True, complies=False).exists()
    history = AuditItem.history.model.objects
    assert history.count() == AuditItem.objects.count()
    assert set(history.values_list("history_change_reason", "history_user")) == {(REASON, None)}


def test_the_same_seed_gives_the_same_rows_and_removal_leaves_the_rest(plan, ana):
    own_measurement = Measurement.objects.create(
        indicator=Indicator.objects.filter(plan=plan).first(),
        date="2024-01-01",
        value=Decimal("3"),
    )
    before = {model: model.objects.count() for model in GENERATED}
    generate("--scale", SCALE)
    first = snapshot()
    said = generate("--remove")
    assert said.startswith("Removed ")
    assert {model: model.objects.count() for model in GENERATED} == before
    assert AuditItem.history.model.objects.count() == 0
    assert Measurement.history.model.objects.filter(is_sample=True).count() == 0
    assert Plan.objects.filter(slug__startswith="gen-").count() == 0
    assert Measurement.objects.filter(pk=own_measurement.pk).exists()

    generate("--scale", SCALE)
    assert snapshot() == first
    generate("--remove")
    generate("--scale", SCALE, "--seed", "8")
    assert snapshot() != first


def test_it_refuses_a_second_generation_and_a_bad_scale(ana):
    generate("--scale", "0.005")
    with pytest.raises(CommandError, match="already there"):
        generate("--scale", "0.005")
    for scale, message in (("ten", "is not a number"), ("0", "between 0"), ("-1", "between 0")):
        with pytest.raises(CommandError, match=message):
            generate("--scale", scale)
    with pytest.raises(CommandError, match="Give --scale"):
        generate()
