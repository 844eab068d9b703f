"""How the API describes its endpoints: the answer to OPTIONS, and the browsable API's forms.

DRF describes the body of every POST and PUT of a generic view with the view's own serializer,
built outside its handler: `SimpleMetadata` for OPTIONS, `BrowsableAPIRenderer` for the forms
of its HTML pages. Here that breaks or misleads. Workflow actions (approve, stage, answer...)
and custom creates read bodies of their own, documented in the OpenAPI schema; some of their
views have no serializer of their own, or one that needs state their handler sets (a 500). And
`SimpleMetadata` checks PUT with the view's action set to `metadata`, for which
`RulesPermission` asks nothing: anyone who could see an object was shown the form to change it.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, mixins, renderers
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request

# The handlers whose body is, by construction, the view's own serializer.
GENERIC_WRITES = {
    "POST": ("create", mixins.CreateModelMixin.create),
    "PUT": ("update", mixins.UpdateModelMixin.update),
    "PATCH": ("partial_update", mixins.UpdateModelMixin.partial_update),
}


def reads_view_serializer(view, method: str) -> bool:
    """Whether `method` on this route is the generic create or update, whose body is the
    view's serializer."""
    if method not in GENERIC_WRITES:
        return False
    name, generic = GENERIC_WRITES[method]
    action_map = getattr(view, "action_map", None)
    if action_map is not None and action_map.get(method.lower()) != name:
        return False  # a workflow action of a viewset
    return getattr(type(view), name, None) is generic


class Metadata(SimpleMetadata):
    """Name, description, renderers and parsers (the methods are in `Allow`), and:

    - on an object's URL, the object as GET looks it up: one that does not exist or that one
      may not see is a 404, as GET answers, not a description;
    - `actions`, the writable fields, only for the generic create (POST) and update (PUT), and
      only to those the permission classes let write, asked with the action the method maps
      to (`update` on PUT: `change_<model>` on the object).
    """

    def determine_metadata(self, request, view):
        self.instance = view.get_object() if _names_an_object(view) else None
        return super().determine_metadata(request, view)

    def determine_actions(self, request, view):
        actions = {}
        for method in ("POST", "PUT"):
            if method in view.allowed_methods and reads_view_serializer(view, method):
                fields = self._fields_if_allowed(request, view, method)
                if fields is not None:
                    actions[method] = fields
        return actions

    def _fields_if_allowed(self, request, view, method):
        action = getattr(view, "action", None)
        view.request = clone_request(request, method)
        view.action = GENERIC_WRITES[method][0]
        try:
            view.check_permissions(view.request)
            if self.instance is not None:
                view.check_object_permissions(view.request, self.instance)
        except (exceptions.APIException, PermissionDenied, Http404):
            return None
        else:
            return self.get_serializer_info(view.get_serializer())
        finally:
            view.request, view.action = request, action


def _names_an_object(view) -> bool:
    if not hasattr(view, "get_object"):
        return False
    return (view.lookup_url_kwarg or view.lookup_field) in view.kwargs


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's HTML pages of the API, with forms for the generic create and update only: the
    other writes are tried from the OpenAPI documentation page (/api/v1/docs/), which knows
    their bodies."""

    def get_rendered_html_form(self, data, view, method, request):
        if method in GENERIC_WRITES and not reads_view_serializer(view, method):
            return None
        return super().get_rendered_html_form(data, view, method, request)

    def get_raw_data_form(self, data, view, method, request):
        if not reads_view_serializer(view, method):
            return None
        return super().get_raw_data_form(data, view, method, request)
