"""Helpers every service uses: permission checks and attribution of history rows."""

from django.db import transaction
from django.utils.translation import gettext as _

from limpia.core.errors import DomainError, NotAllowed


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
def organization_save(*, acting_user, organization, reason: str = "organization"):
    """Create or update an organization (administrators), with validation and history."""
    creating = organization._state.adding
    require_perm(acting_user, f"core.{'add' if creating else 'change'}_organization", organization)
    validate_model(organization)
    ancestor = organization.parent
    while ancestor is not None:
        if ancestor.pk == organization.pk:
            raise DomainError(_("An organization cannot be its own parent."), field="parent")
        ancestor = ancestor.parent
    save_attributed(organization, acting_user=acting_user, reason=reason)
    return organization
