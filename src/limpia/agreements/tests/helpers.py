"""Small builders shared by the agreement tests (plain functions, not fixtures)."""

import datetime as dt

from limpia.agreements import services
from limpia.agreements.models import Action, Adhesion, Audit

IN_WINDOW = dt.date(2024, 2, 1)  # inside the `apl` fixture's adhesion window


def freeze_today(monkeypatch, day: dt.date) -> None:
    """Make `timezone.localdate()` answer `day` (views and rules ask it for "today")."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)


def set_stage(agreement, stage: str):
    """Put an agreement in a stage directly (the lifecycle itself is tested elsewhere)."""
    type(agreement).objects.filter(pk=agreement.pk).update(stage=stage)
    agreement.stage = stage
    return agreement


def adhere(agreement, *facilities, on: dt.date = IN_WINDOW) -> list[Adhesion]:
    return [
        Adhesion.objects.create(agreement=agreement, facility=facility, adhered_on=on)
        for facility in facilities
    ]


def action(agreement, code: str) -> Action:
    return Action.objects.get(goal__agreement=agreement, code=code)


def run_audit(
    opened_by,
    agreement,
    facility,
    auditor,
    findings: dict,
    *,
    audit_type: str = "final",
    audit_date: dt.date = dt.date(2025, 11, 3),
    corrects: Audit | None = None,
    submit: bool = True,
    correction_deadline: dt.date | None = None,
) -> Audit:
    """Open an audit, record `findings` (code → True/False complies, None = does not apply)
    as the assigned auditor, and submit it."""
    audit = services.audit_open(
        acting_user=opened_by,
        agreement=agreement,
        facility=facility,
        auditor=auditor,
        audit_type=audit_type,
        audit_date=audit_date,
        corrects=corrects,
    )
    for code, complies in findings.items():
        services.audit_item_record(
            acting_user=auditor.user,
            audit=audit,
            action=action(agreement, code),
            applies=complies is not None,
            complies=complies,
            reason="" if complies is not None else "No aplica a esta instalación",
        )
    if submit:
        services.audit_submit(
            acting_user=auditor.user, audit=audit, correction_deadline=correction_deadline
        )
    audit.refresh_from_db()
    return audit
