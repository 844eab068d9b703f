"""Helpers every service uses: permission checks and attribution of history rows."""

from django.db import transaction
from django.utils.translation import gettext as _

from limpia.core.errors import Conflict, DomainError, NotAllowed


def require_perm(user, perm: str, obj=None) -> None:
    if user is None or not user.has_perm(perm, obj):
        raise NotAllowed(_("You are not allowed to do this (%(perm)s).") % {"perm": perm})


def save_attributed(instance, *, acting_user, update_fields=None, reason: str = "") -> None:
    """Save, recording who made the change (and why) in the instance's history."""
    instance._history_user = acting_user if getattr(acting_user, "pk", None) else None
    if reason:
        instance._change_reason = reason[:100]
    instance.save(update_fields=update_fields)


def validate_model(instance) -> None:
    """Model validation (field types, choices, constraints, clean()) as a DomainError that
    names the first field at fault."""
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(" ".join(messages), field=None if field == "__all__" else field) from None


@transaction.atomic
def organization_save(
    *, acting_user, organization, reason: str = "organization", version: int | None = None
):
    """Create or update an organization (administrators), with validation and history.
    `version` is the one the writer read: an organization changed since is a Conflict."""
    creating = organization._state.adding
    require_perm(acting_user, f"core.{'add' if creating else 'change'}_organization", organization)
    if not creating:
        claim_version(organization, version)
    validate_model(organization)
    ancestor = organization.parent
    while ancestor is not None:
        if ancestor.pk == organization.pk:
            raise DomainError(_("An organization cannot be its own parent."), field="parent")
        ancestor = ancestor.parent
    save_attributed(organization, acting_user=acting_user, reason=reason)
    return organization


def claim_version(instance, expected: int | None) -> int:
    """Guard against lost updates: lock the row, check that it is still at the version the writer
    read (`expected`; None when the writer did not say), and set the next version on `instance`
    (the caller saves it, with "version" in its update_fields). Raises Conflict naming who made
    the change the writer did not see."""
    current = type(instance).objects.select_for_update().only("version").get(pk=instance.pk)
    if expected is not None and expected != current.version:
        raise Conflict(_conflict_message(instance, current.version))
    instance.version = current.version + 1
    return instance.version


def _conflict_message(instance, version: int) -> str:
    from django.utils import formats, timezone

    latest = instance.history.select_related("history_user").first()
    who, when = _("someone"), "?"
    if latest is not None:
        if latest.history_user is not None:
            who = latest.history_user.get_full_name() or latest.history_user.username
        when = formats.date_format(timezone.localtime(latest.history_date), "SHORT_DATETIME_FORMAT")
    return _(
        "%(what)s was changed by %(who)s on %(when)s (it is now at version %(version)s) after "
        "you opened it; your change was not saved. Reload it, check the other change and apply "
        "yours again."
    ) % {
        "what": str(instance._meta.verbose_name).capitalize(),
        "who": who,
        "when": when,
        "version": version,
    }
