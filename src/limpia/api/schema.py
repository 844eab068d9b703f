"""The OpenAPI document tells the truth about errors, not only about success.

`document_errors` (a drf-spectacular postprocessing hook) adds to every operation the error
answers it can give, in the JSON shape of `limpia.api.errors`: 400 when it takes parameters
or changes something (a refused deletion too), 401 and 403 always (a wrong token is
a 401 on any path), 404 when it names an object in its path or pages a list, 409 when it
changes something (illegal transitions, stale versions, objects still in use), 415 when it
takes a body (sent in a type it does not read).

`SwaggerUIView` serves the documentation page (Swagger UI).
"""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.views import SpectacularSwaggerSplitView

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "An error: a sentence, a machine-readable code and, when a field is at fault, its name "
        "and the field's own list of messages."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string", "description": "The field at fault, when there is one."},
        "fields": {
            "type": "object",
            "description": "The messages of a field named detail, code or field.",
            "additionalProperties": True,
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}
DESCRIPTIONS = {
    400: "Invalid input; `field` names the field at fault",
    401: "Not logged in, or a wrong token",
    403: "Not allowed",
    404: "No such object, or not visible to you (or no such page)",
    409: "Conflict: an illegal status transition, a stale version or an object still in use",
    415: "The body is not in a type this operation reads",
}
UNSAFE = {"post", "put", "patch", "delete"}


def _error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    statuses = [401, 403]
    if method in UNSAFE or any(p.get("in") in ("path", "query") for p in parameters):
        statuses.append(400)  # a parameter with a NUL character is refused too
    if "{" in path or any(p.get("name") == "page" for p in parameters):
        statuses.append(404)
    if method in UNSAFE:
        statuses.append(409)
    if "requestBody" in operation:
        statuses.append(415)
    return sorted(statuses)


def document_errors(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    error_content = {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(path, method, operation):
                responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400 and "content" not in response:
                    response["content"] = error_content
    return result


class SwaggerUIView(SpectacularSwaggerSplitView):
    """The Swagger UI page. Its only renderer is its HTML template, which cannot show a
    description (a 500): OPTIONS answers its methods (`Allow`) with an empty body."""

    def options(self, request, *args, **kwargs):
        return HttpResponse(headers={"Content-Length": "0"})
