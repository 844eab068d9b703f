"""The registry's changes: applications through their review, declared relations, training."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from limpia.core.errors import DomainError, IllegalTransition
from limpia.core.services import require_perm, save_attributed, validate_model
from limpia.registry.models import Application, ApplicationStatus, Expert, Relation, Training

A = ApplicationStatus
# status → the statuses a decision may lead to
APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    A.SUBMITTED: frozenset({A.RECOMMENDED, A.OBSERVED, A.REJECTED}),
    A.OBSERVED: frozenset({A.SUBMITTED, A.REJECTED}),
    A.RECOMMENDED: frozenset({A.APPROVED, A.REJECTED}),
    A.APPROVED: frozenset({A.EXPIRED}),
    A.REJECTED: frozenset(),
    A.EXPIRED: frozenset(),
}


def require_registry_manager(acting_user, expert: Expert | None = None) -> None:
    """Registry staff (administrators) manage applications; an expert may file their own."""
    if expert is not None and expert.user_id and expert.user_id == getattr(acting_user, "pk", 0):
        return
    require_perm(acting_user, "registry.manage_registry")


@transaction.atomic
def application_submit(
    *, acting_user, expert: Expert, submitted_on: dt.date, is_renewal: bool = False
) -> Application:
    require_registry_manager(acting_user, expert)
    if expert.applications.filter(status__in=[A.SUBMITTED, A.OBSERVED, A.RECOMMENDED]).exists():
        raise DomainError(_("This expert already has an application under review."), field="expert")
    if is_renewal and not expert.applications.filter(status__in=[A.APPROVED, A.EXPIRED]).exists():
        raise DomainError(
            _("Only a registered (or formerly registered) expert renews."), field="is_renewal"
        )
    application = Application(expert=expert, submitted_on=submitted_on, is_renewal=is_renewal)
    save_attributed(application, acting_user=acting_user, reason="submitted")
    return application


@transaction.atomic
def application_decide(
    *,
    acting_user,
    application: Application,
    status: str,
    decided_on: dt.date,
    observations: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> Application:
    """Recommend, observe, approve (with validity dates) or reject an application."""
    application = (
        Application.objects.select_for_update().select_related("expert").get(pk=application.pk)
    )
    if status == A.SUBMITTED:  # the expert answers the observations
        require_registry_manager(acting_user, application.expert)
    else:
        require_perm(acting_user, "registry.manage_registry")
    if status not in APPLICATION_TRANSITIONS.get(application.status, ()):
        raise IllegalTransition(
            _("An application that is “%(current)s” cannot become “%(target)s”.")
            % {
                "current": application.get_status_display(),
                "target": ApplicationStatus(status).label if status in A.values else status,
            }
        )
    if status in (A.OBSERVED, A.REJECTED) and not observations.strip():
        raise DomainError(_("Write the observations or the reason."), field="observations")
    if status == A.APPROVED:
        if not valid_from or not valid_until or valid_until <= valid_from:
            raise DomainError(
                _("An approval needs a validity period (from, until)."), field="valid_until"
            )
        expert = application.expert
        expert.registered_from = (
            min(expert.registered_from, valid_from)
            if expert.registered_from and application.is_renewal
            else valid_from
        )
        expert.registered_until = valid_until
        save_attributed(
            expert,
            acting_user=acting_user,
            update_fields=["registered_from", "registered_until"],
            reason="approved",
        )
        application.valid_from, application.valid_until = valid_from, valid_until
    application.status, application.decided_on = status, decided_on
    application.observations = observations.strip() or application.observations
    save_attributed(application, acting_user=acting_user, reason=status)
    return application


@transaction.atomic
def applications_expire(*, acting_user, today: dt.date) -> int:
    """Approved applications whose validity has lapsed become expired (a daily job)."""
    require_perm(acting_user, "registry.manage_registry")
    lapsed = Application.objects.select_for_update().filter(
        status=A.APPROVED, valid_until__lt=today
    )
    count = 0
    for application in lapsed:
        application.status = A.EXPIRED
        save_attributed(
            application, acting_user=acting_user, update_fields=["status"], reason="expired"
        )
        count += 1
    return count


@transaction.atomic
def relation_declare(
    *,
    acting_user,
    expert: Expert,
    company,
    kind: str,
    started_on: dt.date,
    ended_on: dt.date | None = None,
) -> Relation:
    require_registry_manager(acting_user, expert)
    if ended_on and ended_on < started_on:
        raise DomainError(_("A relation cannot end before it starts."), field="ended_on")
    relation = Relation(
        expert=expert, company=company, kind=kind, started_on=started_on, ended_on=ended_on
    )
    validate_model(relation)
    save_attributed(relation, acting_user=acting_user, reason="declared")
    return relation


@transaction.atomic
def training_record(
    *, acting_user, expert: Expert, title: str, completed_on: dt.date, hours: Decimal
) -> Training:
    require_registry_manager(acting_user, expert)
    if hours <= 0:
        raise DomainError(_("Training hours must be positive."), field="hours")
    return Training.objects.create(
        expert=expert, title=title.strip(), completed_on=completed_on, hours=hours
    )
