from rest_framework import permissions

from limpia.core.services import require_perm


class RulesPermission(permissions.BasePermission):
    """Ask the rules in limpia.access for every object a request touches.

    Reads are open (querysets are narrowed by `visible_to`, so what one may not see is a 404);
    writes need `<app>.<change|delete>_<model>` on the object. Creating objects is checked by
    the view (or the service it calls) against the parent object, which the permission class
    cannot see.
    """

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        meta = obj._meta
        if request.method in permissions.SAFE_METHODS:
            return request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}", obj)
        verb = {"update": "change", "partial_update": "change", "destroy": "delete"}.get(
            getattr(view, "action", None)
        )
        if verb is None:
            # Workflow actions (submit, approve, return, approve a plan...) are checked by the
            # service they call, with the predicate that fits the act.
            return True
        return request.user.has_perm(f"{meta.app_label}.{verb}_{meta.model_name}", obj)


def object_for(view, perm: str):
    """A workflow action's object, then the permission for it, before the request body is read:
    what one may not see is a 404, what one may not do a 403, and only then does the body's
    validation answer (400) — so a refused user learns nothing from validation errors."""
    obj = view.get_object()
    require_perm(view.request.user, perm, obj)
    return obj
