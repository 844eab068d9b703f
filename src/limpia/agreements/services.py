"""Every change to agreements goes through these functions (atomic, permission-checked,
attributed in history). Figures come from `limpia.compliance` (pure)."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from limpia.agreements import lifecycle, tallies
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    AuditStatus,
    AuditType,
    Certificate,
    Company,
    Consultation,
    ConsultationAnswer,
    Extension,
    Facility,
    FollowUpItem,
    FollowUpReport,
    Impact,
    ItemStatus,
    Stage,
    StageChange,
)
from limpia.core.errors import Conflict, DomainError, IllegalTransition, NotAllowed
from limpia.core.fields import require_portable
from limpia.core.services import require_perm, save_attributed, validate_model
from limpia.core.taxid import validate_tax_id

# An auditor who worked for, advised or owned part of a company within this many days before an
# audit may not audit that company's facilities.
CONFLICT_COOLING_OFF_DAYS = 730


# ---------------------------------------------------------------- lifecycle


@transaction.atomic
def agreement_change_stage(
    *,
    acting_user,
    agreement: Agreement,
    to_stage: str,
    comment: str = "",
    signing_date: dt.date | None = None,
    today: dt.date | None = None,
) -> Agreement:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    require_perm(acting_user, "agreements.change_stage", agreement)
    today = today or timezone.localdate()
    current = agreement.stage
    if to_stage not in Stage.values:
        raise DomainError(_("Unknown stage %(stage)r.") % {"stage": to_stage}, field="stage")
    if not lifecycle.is_allowed(current, to_stage):
        raise IllegalTransition(
            _("An agreement in stage “%(current)s” cannot move to “%(target)s”.")
            % {"current": Stage(current).label, "target": Stage(to_stage).label}
        )
    if to_stage == Stage.CANCELLED and not comment.strip():
        raise DomainError(_("Say why the agreement is cancelled."), field="comment")
    if to_stage == Stage.SIGNED:
        if signing_date is None:
            raise DomainError(_("The signing date is required."), field="signing_date")
        if signing_date > today:
            raise DomainError(_("The signing date cannot be in the future."), field="signing_date")
        agreement.signing_date = signing_date
    if (
        to_stage == Stage.IMPLEMENTATION
        and agreement.adhesion_end
        and today < agreement.adhesion_end
    ):
        raise IllegalTransition(
            _("Implementation starts when the adhesion window ends, on %(date)s.")
            % {"date": agreement.adhesion_end.isoformat()}
        )
    agreement.stage = to_stage
    save_attributed(
        agreement, acting_user=acting_user, update_fields=["stage", "signing_date"], reason=to_stage
    )
    StageChange.objects.create(
        agreement=agreement,
        from_stage=current,
        to_stage=to_stage,
        changed_at=timezone.now(),
        changed_by=acting_user,
        comment=comment,
    )
    return agreement


@transaction.atomic
def agreement_extend(
    *, acting_user, agreement: Agreement, new_end: dt.date, reason: str
) -> Agreement:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    require_perm(acting_user, "agreements.change_stage", agreement)
    if agreement.stage != Stage.IMPLEMENTATION:
        raise IllegalTransition(_("Only an agreement in implementation can be extended."))
    if not reason.strip():
        raise DomainError(_("Say why the implementation is extended."), field="reason")
    previous = agreement.implementation_end
    if previous and new_end <= previous:
        raise DomainError(
            _("The new end must be after the current end, %(date)s.")
            % {"date": previous.isoformat()},
            field="new_end",
        )
    agreement.implementation_end_override = new_end
    save_attributed(
        agreement,
        acting_user=acting_user,
        update_fields=["implementation_end_override"],
        reason="extended",
    )
    Extension.objects.create(
        agreement=agreement,
        previous_end=previous or new_end,
        new_end=new_end,
        reason=reason,
        granted_at=timezone.now(),
        granted_by=acting_user,
    )
    return agreement


# ---------------------------------------------------------------- companies and adhesion


@transaction.atomic
def company_register(
    *, acting_user, country, tax_id: str, name: str, size: str, sector=None
) -> Company:
    require_perm(acting_user, "agreements.register_company")
    compact = validate_tax_id(country.code, tax_id)
    company = Company.objects.filter(country=country, tax_id=compact).first()
    if company is not None:
        return company
    company = Company(country=country, tax_id=compact, name=name.strip(), size=size, sector=sector)
    validate_model(company)
    save_attributed(company, acting_user=acting_user, reason="registered")
    return company


ADHESION_STAGES = (Stage.SIGNED, Stage.ADHESION, Stage.IMPLEMENTATION)
# Facilities are audited once they have adhered, that is from signing on (not when cancelled).
# Final audits (and their corrections) from implementation on.
FINAL_AUDIT_STAGES = (
    Stage.IMPLEMENTATION,
    Stage.FINAL_EVALUATION,
    Stage.CERTIFICATION,
    Stage.IMPACT_EVALUATION,
    Stage.CLOSED,
)
# Certificates are issued once the final evaluation is under way (and afterwards).
CERTIFYING_STAGES = (
    Stage.FINAL_EVALUATION,
    Stage.CERTIFICATION,
    Stage.IMPACT_EVALUATION,
    Stage.CLOSED,
)
AUDIT_STAGES = (
    Stage.SIGNED,
    Stage.ADHESION,
    Stage.IMPLEMENTATION,
    Stage.FINAL_EVALUATION,
    Stage.CERTIFICATION,
    Stage.IMPACT_EVALUATION,
    Stage.CLOSED,
)


@transaction.atomic
def facility_adhere(
    *,
    acting_user,
    agreement: Agreement,
    facility: Facility,
    adhered_on: dt.date,
    exception_reason: str = "",
) -> Adhesion:
    # The coordinator of the agreement, or the representative of the facility's company.
    require_perm(
        acting_user, "agreements.record_adhesion", Adhesion(agreement=agreement, facility=facility)
    )
    require_perm(acting_user, "agreements.view_agreement", agreement)
    if agreement.stage not in ADHESION_STAGES:
        raise IllegalTransition(
            _("Facilities adhere to a signed agreement; this one is in stage “%(stage)s”.")
            % {"stage": agreement.get_stage_display()}
        )
    if Adhesion.objects.filter(agreement=agreement, facility=facility).exists():
        raise DomainError(
            _("Facility %(code)s already adhered to this agreement.") % {"code": facility.code},
            field="facility",
        )
    start, end = agreement.signing_date, agreement.adhesion_end
    inside = start is not None and start <= adhered_on <= end
    if not inside:
        if not exception_reason.strip():
            raise DomainError(
                _(
                    "The adhesion date %(date)s is outside the adhesion window "
                    "(%(start)s to %(end)s); the coordinator may record an exception with a reason."
                )
                % {"date": adhered_on, "start": start, "end": end},
                field="adhered_on",
            )
        require_perm(acting_user, "agreements.record_adhesion_exception", agreement)
    adhesion = Adhesion(
        agreement=agreement,
        facility=facility,
        adhered_on=adhered_on,
        exception_reason="" if inside else exception_reason.strip(),
        recorded_by=acting_user,
    )
    save_attributed(adhesion, acting_user=acting_user, reason="adhered")
    return adhesion


@transaction.atomic
def adhesion_withdraw(*, acting_user, adhesion: Adhesion, on: dt.date, reason: str) -> Adhesion:
    adhesion = (
        Adhesion.objects.select_for_update().select_related("facility__company").get(pk=adhesion.pk)
    )
    require_perm(acting_user, "agreements.record_adhesion", adhesion)
    if adhesion.withdrawn_on:
        raise IllegalTransition(_("This facility has already withdrawn."))
    if not reason.strip():
        raise DomainError(_("Say why the facility withdraws."), field="reason")
    if on < adhesion.adhered_on:
        raise DomainError(_("A facility cannot withdraw before it adhered."), field="on")
    if on > timezone.localdate():
        raise DomainError(_("The withdrawal date cannot be in the future."), field="on")
    adhesion.withdrawn_on, adhesion.withdrawal_reason = on, reason.strip()
    save_attributed(
        adhesion,
        acting_user=acting_user,
        update_fields=["withdrawn_on", "withdrawal_reason"],
        reason="withdrawn",
    )
    return adhesion


def applicable_actions(agreement: Agreement, company: Company) -> list[Action]:
    """The company-owned actions that apply to a company of this size."""
    actions = Action.objects.filter(goal__agreement=agreement, responsible="company").order_by(
        "goal__position", "position", "id"
    )
    return [a for a in actions if a.applies_to(company.size)]


@transaction.atomic
def follow_up_submit(
    *, acting_user, adhesion: Adhesion, kind: str, period_end: dt.date, items
) -> FollowUpReport:
    """A diagnosis or follow-up report: per applicable action a status and evidence."""
    require_perm(acting_user, "agreements.report_follow_up", adhesion)
    if adhesion.withdrawn_on:
        raise IllegalTransition(_("A withdrawn facility does not report."))
    if period_end > timezone.localdate():
        raise DomainError(_("The period cannot end in the future."), field="period_end")
    allowed = {a.pk for a in applicable_actions(adhesion.agreement, adhesion.facility.company)}
    report, _created = FollowUpReport.objects.get_or_create(
        adhesion=adhesion, kind=kind, period_end=period_end
    )
    for action, status, evidence_url, comment in items:
        if action.pk not in allowed:
            raise DomainError(
                _("Action %(code)s does not apply to this facility.") % {"code": action.code},
                field="items",
            )
        if status not in ItemStatus.values:
            raise DomainError(_("Unknown status %(s)r.") % {"s": status}, field="items")
        FollowUpItem.objects.update_or_create(
            report=report,
            action=action,
            defaults={"status": status, "evidence_url": evidence_url, "comment": comment},
        )
    report.submitted_at, report.submitted_by = timezone.now(), acting_user
    save_attributed(
        report,
        acting_user=acting_user,
        update_fields=["submitted_at", "submitted_by"],
        reason="submitted",
    )
    return report


def _require_stage(agreement: Agreement, stages, what) -> None:
    if agreement.stage not in stages:
        raise IllegalTransition(
            _("Cannot %(what)s while the agreement is in stage “%(stage)s”.")
            % {"what": what, "stage": agreement.get_stage_display()}
        )


def _require_active_adhesion(agreement: Agreement, facility: Facility) -> Adhesion:
    adhesion = Adhesion.objects.filter(agreement=agreement, facility=facility).first()
    if adhesion is None:
        raise DomainError(
            _("Facility %(code)s has not adhered to this agreement.") % {"code": facility.code},
            field="facility",
        )
    if adhesion.withdrawn_on:
        raise DomainError(
            _("Facility %(code)s withdrew from this agreement on %(date)s.")
            % {"code": facility.code, "date": adhesion.withdrawn_on},
            field="facility",
        )
    return adhesion


# ---------------------------------------------------------------- audits


def _check_auditor(auditor, facility: Facility, on: dt.date) -> None:
    if not auditor.is_registered_on(on):
        raise DomainError(
            _("%(auditor)s is not a registered auditor on %(date)s.")
            % {"auditor": auditor, "date": on.isoformat()},
            field="auditor",
        )
    if auditor.kind != "auditor":
        raise DomainError(
            _("%(name)s is not registered as an auditor.") % {"name": auditor}, field="auditor"
        )
    cooling = on - dt.timedelta(days=CONFLICT_COOLING_OFF_DAYS)
    conflict = (
        auditor.relations.filter(company_id=facility.company_id, started_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=cooling))
        .first()
    )
    if conflict is not None:
        raise DomainError(
            _(
                "Conflict of interest: %(auditor)s declared a relation (%(kind)s) with "
                "%(company)s; they cannot audit its facilities."
            )
            % {
                "auditor": auditor,
                "kind": conflict.get_kind_display(),
                "company": facility.company,
            },
            field="auditor",
        )


@transaction.atomic
def audit_open(
    *,
    acting_user,
    agreement: Agreement,
    facility: Facility,
    auditor,
    audit_type: str,
    audit_date: dt.date,
    corrects: Audit | None = None,
) -> Audit:
    """The coordinator assigns an audit of one facility to a registered auditor."""
    require_perm(acting_user, "agreements.open_audit", agreement)
    if audit_type not in AuditType.values:
        raise DomainError(_("Unknown audit type %(t)r.") % {"t": audit_type}, field="audit_type")
    _require_active_adhesion(agreement, facility)
    stages = {
        AuditType.FINAL: FINAL_AUDIT_STAGES,
        AuditType.CORRECTION: FINAL_AUDIT_STAGES,
        AuditType.MAINTENANCE: CERTIFYING_STAGES,
    }.get(audit_type, AUDIT_STAGES)
    if agreement.stage not in stages:
        raise IllegalTransition(
            _("A %(type)s is not possible while the agreement is in stage “%(stage)s”.")
            % {"type": AuditType(audit_type).label.lower(), "stage": agreement.get_stage_display()}
        )
    if Audit.objects.filter(
        agreement=agreement, facility=facility, audit_type=audit_type, status=AuditStatus.OPEN
    ).exists():
        raise DomainError(
            _("An audit of this type is already open for facility %(code)s.")
            % {"code": facility.code},
            field="audit_type",
        )
    _check_auditor(auditor, facility, audit_date)
    if audit_type == AuditType.CORRECTION:
        if (
            corrects is None
            or corrects.audit_type != AuditType.FINAL
            or corrects.facility_id != facility.pk
            or corrects.agreement_id != agreement.pk
        ):
            raise DomainError(
                _("A correction re-verification names the facility's final audit."),
                field="corrects",
            )
        from limpia.agreements.figures import audit_outcome

        if corrects.status != AuditStatus.SUBMITTED or audit_outcome(corrects) != "correction":
            raise DomainError(
                _("That final audit did not give the facility a correction period."),
                field="corrects",
            )
    elif corrects is not None:
        raise DomainError(
            _("Only a correction re-verification names another audit."), field="corrects"
        )
    audit = Audit(
        agreement=agreement,
        facility=facility,
        auditor=auditor,
        audit_type=audit_type,
        audit_date=audit_date,
        corrects=corrects,
    )
    save_attributed(audit, acting_user=acting_user, reason="opened")
    return audit


@transaction.atomic
def audit_item_record(
    *,
    acting_user,
    audit: Audit,
    action: Action,
    applies: bool,
    complies: bool | None = None,
    reason: str = "",
    evidence: str = "",
    observation: str = "",
    version: int | None = None,
) -> AuditItem:
    """The auditor records one item; saved as they go.

    `version` is the version the auditor read: 0 for an item not recorded yet. When it is
    given and the stored item has moved on (or was recorded meanwhile), the save is refused as
    a conflict instead of overwriting the other person's finding.
    """
    audit = (
        Audit.objects.select_for_update(of=("self",))
        .select_related("agreement", "facility__company", "auditor")
        .get(pk=audit.pk)
    )
    require_perm(acting_user, "agreements.record_audit", audit)
    if audit.status != AuditStatus.OPEN:
        raise IllegalTransition(_("This audit has been submitted; its items cannot change."))
    if action.goal.agreement_id != audit.agreement_id:
        raise DomainError(
            _("Action %(code)s belongs to another agreement.") % {"code": action.code},
            field="action",
        )
    if audit.audit_type == AuditType.CORRECTION:
        failed = AuditItem.objects.filter(
            audit_id=audit.corrects_id, action=action, applies=True, complies=False
        ).exists()
        if not failed:
            raise DomainError(
                _(
                    "A re-verification covers only the items that failed the final audit; "
                    "%(code)s did not."
                )
                % {"code": action.code},
                field="action",
            )
    if action.responsible != "company" or not action.applies_to(audit.facility.company.size):
        raise DomainError(
            _(
                "Action %(code)s is not audited at this facility (it belongs to the association "
                "or to companies of another size)."
            )
            % {"code": action.code},
            field="action",
        )
    if applies and complies is None:
        raise DomainError(
            _("Say whether the facility complies with %(code)s.") % {"code": action.code},
            field="complies",
        )
    if not applies:
        if not reason.strip():
            raise DomainError(
                _("Say why %(code)s does not apply.") % {"code": action.code}, field="reason"
            )
        complies = None
    item = AuditItem.objects.select_for_update().filter(audit=audit, action=action).first()
    current_version = item.version if item is not None else 0
    if version is not None and version != current_version:
        raise Conflict(
            _(
                "Someone else recorded item %(code)s meanwhile (now: %(finding)s). "
                "Reload and try again."
            )
            % {"code": action.code, "finding": _finding(item)}
        )
    if item is None:
        item = AuditItem(audit=audit, action=action, applies=applies)
    else:
        item.version += 1
    item.applies, item.complies = applies, complies
    item.reason, item.evidence, item.observation = reason.strip(), evidence, observation
    save_attributed(item, acting_user=acting_user, reason="recorded")
    return item


def _finding(item) -> str:
    if item is None:
        return _("not recorded")
    if not item.applies:
        return _("does not apply")
    return _("complies") if item.complies else _("does not comply")


@transaction.atomic
def audit_submit(*, acting_user, audit: Audit, correction_deadline: dt.date | None = None) -> Audit:
    from limpia.agreements.figures import audit_outcome

    audit = (
        Audit.objects.select_for_update(of=("self",))
        .select_related("agreement", "facility__company", "auditor")
        .get(pk=audit.pk)
    )
    require_perm(acting_user, "agreements.record_audit", audit)
    if audit.status != AuditStatus.OPEN:
        raise IllegalTransition(_("This audit has already been submitted."))
    recorded = set(audit.items.values_list("action_id", flat=True))
    if audit.audit_type != AuditType.CORRECTION:
        expected = applicable_actions(audit.agreement, audit.facility.company)
        missing = [a.code for a in expected if a.pk not in recorded]
        if missing:
            raise DomainError(
                _("Items not yet recorded: %(codes)s.") % {"codes": ", ".join(missing)},
                field="items",
            )
    elif not recorded:
        raise DomainError(_("Record the re-verified items first."), field="items")
    audit.status, audit.submitted_at = AuditStatus.SUBMITTED, timezone.now()
    fields = ["status", "submitted_at"]
    if correction_deadline is not None and correction_deadline <= audit.audit_date:
        raise DomainError(
            _("The correction deadline must be after the audit date (%(date)s).")
            % {"date": audit.audit_date},
            field="correction_deadline",
        )
    if audit.audit_type == AuditType.FINAL:
        outcome = audit_outcome(audit)
        if outcome == "correction":
            audit.correction_deadline = correction_deadline or (
                audit.audit_date + dt.timedelta(days=audit.agreement.correction_days)
            )
            fields.append("correction_deadline")
        elif correction_deadline is not None:
            raise DomainError(
                _("A correction deadline is set only when corrections are allowed."),
                field="correction_deadline",
            )
    with tallies.refreshing(audit):
        save_attributed(audit, acting_user=acting_user, update_fields=fields, reason="submitted")
    return audit


@transaction.atomic
def correction_validate(*, acting_user, audit: Audit) -> Audit:
    """The coordinator validates a correction re-verification submitted in time."""
    audit = (
        Audit.objects.select_for_update(of=("self",))
        .select_related("agreement", "corrects")
        .get(pk=audit.pk)
    )
    require_perm(acting_user, "agreements.validate_correction", audit.agreement)
    if audit.audit_type != AuditType.CORRECTION or audit.status != AuditStatus.SUBMITTED:
        raise IllegalTransition(_("Only a submitted correction re-verification is validated."))
    deadline = audit.corrects.correction_deadline
    if deadline and audit.audit_date > deadline:
        raise DomainError(
            _("The re-verification on %(date)s is after the correction deadline %(deadline)s.")
            % {"date": audit.audit_date, "deadline": deadline},
            field="audit_date",
        )
    audit.validated_at, audit.validated_by = timezone.now(), acting_user
    with tallies.refreshing(audit):
        save_attributed(
            audit,
            acting_user=acting_user,
            update_fields=["validated_at", "validated_by"],
            reason="validated",
        )
    return audit


# ---------------------------------------------------------------- certification


@transaction.atomic
def consultation_open(
    *, acting_user, agreement: Agreement, facility: Facility, consulted_on: dt.date
) -> Consultation:
    from limpia.agreements.figures import certification_eligibility

    require_perm(acting_user, "agreements.consult_regulators", agreement)
    _require_stage(agreement, CERTIFYING_STAGES, _("consult the regulators"))
    _require_active_adhesion(agreement, facility)
    if certification_eligibility(agreement, facility) != "eligible":
        raise IllegalTransition(
            _("Facility %(code)s is not eligible for certification.") % {"code": facility.code}
        )
    if consulted_on > timezone.localdate():
        raise DomainError(
            _("The consultation cannot be dated in the future."), field="consulted_on"
        )
    final = (
        Audit.objects.filter(
            agreement=agreement,
            facility=facility,
            audit_type=AuditType.FINAL,
            status=AuditStatus.SUBMITTED,
        )
        .order_by("-audit_date")
        .first()
    )
    if final is not None and consulted_on < final.audit_date:
        raise DomainError(
            _("The consultation cannot be dated before the final audit (%(date)s).")
            % {"date": final.audit_date},
            field="consulted_on",
        )
    consultation, created = Consultation.objects.get_or_create(
        agreement=agreement,
        facility=facility,
        defaults={"consulted_on": consulted_on, "opened_by": acting_user},
    )
    if not created:
        raise DomainError(_("The regulators have already been consulted."), field="facility")
    return consultation


@transaction.atomic
def consultation_answer(
    *,
    acting_user,
    consultation: Consultation,
    signatory,
    objects_to: bool,
    reason: str = "",
    answered_on: dt.date,
) -> ConsultationAnswer:
    require_perm(acting_user, "agreements.answer_consultation", consultation.agreement)
    if signatory.agreement_id != consultation.agreement_id or signatory.role != "regulator":
        raise DomainError(_("Only the agreement's regulators answer."), field="signatory")
    from limpia.access.rules import is_admin, organization_ids_regulating

    if not is_admin(acting_user) and (
        signatory.organization_id not in organization_ids_regulating(acting_user)
    ):
        raise NotAllowed(_("You answer only for the regulator you work for."))
    if objects_to and not reason.strip():
        raise DomainError(_("An objection needs its reason."), field="reason")
    if answered_on < consultation.consulted_on:
        raise DomainError(
            _("The answer cannot be dated before the consultation (%(date)s).")
            % {"date": consultation.consulted_on},
            field="answered_on",
        )
    window_end = consultation.consulted_on + dt.timedelta(
        days=consultation.agreement.objection_days
    )
    if answered_on > window_end:
        raise DomainError(
            _("The consultation window closed on %(date)s.") % {"date": window_end},
            field="answered_on",
        )
    answer, _created = ConsultationAnswer.objects.update_or_create(
        consultation=consultation,
        signatory=signatory,
        defaults={
            "objects_to": objects_to,
            "reason": reason.strip(),
            "answered_on": answered_on,
            "answered_by": acting_user,
        },
    )
    return answer


def _certificate_code(agreement: Agreement, facility: Facility, issued_on: dt.date) -> str:
    base = f"{agreement.code}-{facility.code}-{issued_on.year}".upper().replace(" ", "")
    code, n = base, 1
    while Certificate.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


@transaction.atomic
def certificate_issue(
    *, acting_user, agreement: Agreement, facility: Facility, issued_on: dt.date
) -> Certificate:
    from limpia.agreements.figures import certification_eligibility, consultation_state
    from limpia.compliance import CertificationSettings, certificate_valid_until

    require_perm(acting_user, "agreements.issue_certificate", agreement)
    _require_stage(agreement, CERTIFYING_STAGES, _("issue certificates"))
    _require_active_adhesion(agreement, facility)
    if issued_on > timezone.localdate():
        raise DomainError(_("The issue date cannot be in the future."), field="issued_on")
    if certification_eligibility(agreement, facility) != "eligible":
        raise IllegalTransition(
            _("Facility %(code)s is not eligible for certification.") % {"code": facility.code}
        )
    consultation = Consultation.objects.filter(agreement=agreement, facility=facility).first()
    if consultation is None:
        raise IllegalTransition(_("Consult the regulators before issuing the certificate."))
    state, reasons = consultation_state(consultation, today=issued_on)
    if state == "objected":
        raise IllegalTransition(
            _("A regulator objected: %(reasons)s") % {"reasons": "; ".join(reasons)}
        )
    if state != "cleared":
        raise IllegalTransition(
            _("The regulators' consultation is still open (state: %(state)s).") % {"state": state}
        )
    if Certificate.objects.filter(agreement=agreement, facility=facility).exists():
        raise DomainError(_("This facility already has its certificate."), field="facility")
    final = (
        Audit.objects.filter(
            agreement=agreement,
            facility=facility,
            audit_type=AuditType.FINAL,
            status=AuditStatus.SUBMITTED,
        )
        .order_by("-audit_date")
        .first()
    )
    settings = CertificationSettings(validity_years=agreement.validity_years)
    certificate = Certificate(
        code=_certificate_code(agreement, facility, issued_on),
        agreement=agreement,
        facility=facility,
        final_audit=final,
        issued_on=issued_on,
        valid_until=certificate_valid_until(issued_on, settings),
        issued_by=acting_user,
    )
    certificate_seal(certificate)
    save_attributed(certificate, acting_user=acting_user, reason="issued")
    return certificate


def certificate_seal(certificate: Certificate) -> None:
    """Write on a certificate being issued the names of its holder and agreement as they are
    today, and sign it (the caller saves it)."""
    facility = certificate.facility
    certificate.company_name = facility.company.name
    certificate.facility_name = facility.name
    certificate.agreement_name = certificate.agreement.name
    certificate.signature = certificate_signature(certificate)


def certificate_payload(certificate: Certificate) -> dict:
    """The canonical content the signature covers: everything the verification page shows
    about the holder (names at issue, codes, tax id) and the dates."""
    facility = certificate.facility
    return {
        "code": certificate.code,
        "agreement": certificate.agreement.code,
        "agreement_name": certificate.agreement_name,
        "facility": facility.code,
        "facility_name": certificate.facility_name,
        "company_name": certificate.company_name,
        "company_tax_id": facility.company.tax_id,
        "company_country": facility.company.country_id,
        "issued_on": certificate.issued_on,
        "valid_until": certificate.valid_until,
    }


def certificate_signature(certificate: Certificate) -> str:
    from limpia.core.signing import sign

    return sign(certificate_payload(certificate))


@transaction.atomic
def certificate_revoke(
    *, acting_user, certificate: Certificate, on: dt.date, reason: str
) -> Certificate:
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("agreement", "facility__company")
        .get(pk=certificate.pk)
    )
    require_perm(acting_user, "agreements.revoke_certificate", certificate.agreement)
    if certificate.revoked_on:
        raise IllegalTransition(_("This certificate is already revoked."))
    if not reason.strip():
        raise DomainError(_("Say why the certificate is revoked."), field="reason")
    if on < certificate.issued_on:
        raise DomainError(
            _("A certificate cannot be revoked before it was issued (%(date)s).")
            % {"date": certificate.issued_on},
            field="on",
        )
    certificate.revoked_on, certificate.revocation_reason = on, reason.strip()
    save_attributed(
        certificate,
        acting_user=acting_user,
        update_fields=["revoked_on", "revocation_reason"],
        reason="revoked",
    )
    return certificate


# ---------------------------------------------------------------- impacts


@transaction.atomic
def impact_record(
    *,
    acting_user,
    agreement: Agreement,
    facility: Facility,
    metric: str,
    year: int,
    value: Decimal,
    unit: str,
    is_baseline: bool = False,
) -> Impact:
    """A facility's yearly impact value, converted to the metric's canonical unit.

    Money (investment, savings) keeps its currency; production keeps the unit the facility
    first reported it in, and later values are converted to it.
    """
    from limpia.core import units

    require_perm(
        acting_user, "agreements.record_impact", Impact(agreement=agreement, facility=facility)
    )
    _require_active_adhesion(agreement, facility)
    if not 1900 <= year <= timezone.localdate().year:
        raise DomainError(_("The year must be a past or current year."), field="year")
    require_portable(value, field="value")
    if metric not in units.MONEY_METRICS and Decimal(value) < 0:
        raise DomainError(_("An impact value cannot be negative."), field="value")
    if metric in units.MONEY_METRICS:
        amount = units.Money(Decimal(value), unit)  # validates the ISO 4217 code
        canonical_value, canonical = amount.amount, amount.currency
    else:
        canonical = None
        if metric == "production":
            # One production unit per agreement, so that intensities can add facilities up.
            first = (
                Impact.objects.filter(agreement=agreement, metric="production")
                .order_by("id")
                .first()
            )
            canonical = first.unit if first else units.normalize_unit(unit, metric)
        canonical_value = units.to_canonical(metric, value, unit, canonical_unit=canonical)
        canonical = canonical or units.IMPACT_METRICS[metric][0]
    impact, _created = Impact.objects.update_or_create(
        agreement=agreement,
        facility=facility,
        metric=metric,
        year=year,
        defaults={
            "value": canonical_value,
            "unit": canonical,
            "entered_value": value,
            "entered_unit": unit,
            "is_baseline": is_baseline,
        },
    )
    return impact
