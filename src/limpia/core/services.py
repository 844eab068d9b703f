"""Helpers every service uses: permission checks and attribution of history rows."""

from django.utils.translation import gettext as _

from limpia.core.errors import NotAllowed


def require_perm(user, perm: str, obj=None) -> None:
    if user is None or not user.has_perm(perm, obj):
        raise NotAllowed(_("You are not allowed to do this (%(perm)s).") % {"perm": perm})


def save_attributed(instance, *, acting_user, update_fields=None, reason: str = "") -> None:
    """Save, recording who made the change (and why) in the instance's history."""
    instance._history_user = acting_user if getattr(acting_user, "pk", None) else None
    if reason:
        instance._change_reason = reason[:100]
    instance.save(update_fields=update_fields)
