"""Every write of needs and offers: atomic, permission-checked (access.rules), validated with
the field at fault named, and recorded in the history with who did it and why."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from limpia.cooperation.models import Need, Offer
from limpia.core.errors import DomainError
from limpia.core.services import claim_version, require_perm, save_attributed, validate_model
from limpia.matching.method import terms
from limpia.plans.services import require_visible_elements


def _save(instance, *, acting_user, perm: str, version, reason: str):
    creating = instance._state.adding
    if not creating:  # who may change it is decided on the row as it stands, then as written
        require_perm(acting_user, perm, type(instance).objects.get(pk=instance.pk))
    require_perm(acting_user, perm, instance)
    if not creating:
        claim_version(instance, version)
    elif getattr(acting_user, "pk", None):
        instance.created_by = acting_user
    validate_model(instance)
    save_attributed(instance, acting_user=acting_user, reason=reason)
    return instance


@transaction.atomic
def need_save(*, acting_user, need: Need, themes=None, version=None, reason: str = "need"):
    """Create or update a need; `themes` (programme proposals), when given, replace its own."""
    if not (need.title or "").strip():
        raise DomainError(_("A need needs a title."), field="title")
    if need.country_id and need.subregion_id:
        raise DomainError(
            _("A need is of a country or of a subregion, not both."), field="subregion"
        )
    require_visible_elements(acting_user, node=[need.node] if need.node_id else [])
    perm = "cooperation.add_need" if need._state.adding else "cooperation.change_need"
    _save(need, acting_user=acting_user, perm=perm, version=version, reason=reason)
    if themes is not None:
        need.themes.set(themes)
    return need


@transaction.atomic
def offer_save(
    *,
    acting_user,
    offer: Offer,
    themes=None,
    sectors=None,
    countries=None,
    version=None,
    reason: str = "offer",
):
    """Create or update an offer; `themes`, `sectors` (ISIC) and `countries` served (none: any),
    when given, replace its own."""
    if offer.valid_from and offer.valid_until and offer.valid_until < offer.valid_from:
        raise DomainError(
            _("The offer cannot end (%(end)s) before it starts (%(start)s).")
            % {"end": offer.valid_until.isoformat(), "start": offer.valid_from.isoformat()},
            field="valid_until",
        )
    offer.terms = " ".join(terms(f"{offer.title}\n{offer.description}", offer.language))
    perm = "cooperation.add_offer" if offer._state.adding else "cooperation.change_offer"
    _save(offer, acting_user=acting_user, perm=perm, version=version, reason=reason)
    for name, values in (("themes", themes), ("sectors", sectors), ("countries", countries)):
        if values is not None:
            getattr(offer, name).set(values)
    return offer
