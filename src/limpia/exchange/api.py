"""API endpoints of the exchange formats: IATI XML, Open SDG zip and CSV.

The files are returned as plain Django responses with their own content type; errors (an
unknown or invisible plan is a 404, a bad `as_of` a 400) keep the API's JSON shape, whatever
the client's Accept header asks for.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, content_negotiation_class, renderer_classes
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer

from limpia.core.dates import parse_as_of
from limpia.exchange import lists
from limpia.exchange.iati import plan_to_iati
from limpia.exchange.opensdg import file_name, indicator_to_opensdg_csv, plan_to_opensdg_zip
from limpia.plans.models import Indicator, IndicatorKind, Plan


class JSONErrorsNegotiation(DefaultContentNegotiation):
    """Errors are JSON even when the client accepts only the file's type (no 406)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except (NotAcceptable, Http404):
            return renderers[0], renderers[0].media_type


AS_OF = OpenApiParameter(
    "as_of", str, description="YYYY-MM-DD, default today: data observed up to that date"
)
NOT_FOUND = OpenApiResponse(description="No such plan (or indicator), or not visible to you")
BAD_REQUEST = OpenApiResponse(description="as_of is not a date")


def _visible_plan(request, slug) -> Plan:
    plans = Plan.objects.visible_to(request.user).select_related("country", "subregion", "parent")
    return get_object_or_404(plans, slug=slug)


def _file(content, content_type, filename) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@extend_schema(
    operation_id="plans_iati_retrieve",
    summary="The plan as an IATI 2.03 activity (results, indicators, periods, actuals)",
    parameters=[AS_OF],
    responses={
        (200, "application/xml"): OpenApiTypes.STR,
        400: BAD_REQUEST,
        404: NOT_FOUND,
    },
)
@api_view(["GET"])
@renderer_classes([JSONRenderer])
@content_negotiation_class(JSONErrorsNegotiation)
def iati_view(request, slug):
    as_of = parse_as_of(request.query_params.get("as_of"))
    plan = _visible_plan(request, slug)
    return _file(plan_to_iati(plan, as_of=as_of), "application/xml", f"{plan.slug}.iati.xml")


@extend_schema(
    operation_id="plans_opensdg_retrieve",
    summary="Open SDG tidy CSV files of the plan's quantity indicators, in a zip",
    parameters=[AS_OF],
    responses={
        (200, "application/zip"): OpenApiTypes.BINARY,
        400: BAD_REQUEST,
        404: NOT_FOUND,
    },
)
@api_view(["GET"])
@renderer_classes([JSONRenderer])
@content_negotiation_class(JSONErrorsNegotiation)
def opensdg_view(request, slug):
    as_of = _optional_as_of(request)
    plan = _visible_plan(request, slug)
    return _file(
        plan_to_opensdg_zip(plan, as_of=as_of), "application/zip", f"{plan.slug}.opensdg.zip"
    )


@extend_schema(
    operation_id="plans_indicators_opensdg_retrieve",
    summary="Open SDG tidy CSV of one quantity indicator (Year, disaggregations, Units, Value)",
    parameters=[AS_OF],
    responses={
        (200, "text/csv"): OpenApiTypes.STR,
        400: BAD_REQUEST,
        404: NOT_FOUND,
    },
)
@api_view(["GET"])
@renderer_classes([JSONRenderer])
@content_negotiation_class(JSONErrorsNegotiation)
def opensdg_indicator_view(request, slug, code):
    as_of = _optional_as_of(request)
    plan = _visible_plan(request, slug)
    indicator = get_object_or_404(
        Indicator.objects.filter(plan=plan, kind=IndicatorKind.QUANTITY), code=code
    )
    indicator.plan = plan
    return _file(
        indicator_to_opensdg_csv(indicator, as_of=as_of),
        "text/csv; charset=utf-8",
        file_name(plan, indicator),
    )


def _optional_as_of(request):
    """Open SDG files hold every approved measurement unless `as_of` cuts them off."""
    value = request.query_params.get("as_of")
    return parse_as_of(value) if value else None


# ---------------------------------------------------------------- lists as files

LIST_FORMAT = OpenApiParameter(
    "fmt", str, OpenApiParameter.PATH, enum=["csv", "xlsx", "json"], description="file format"
)


def _list_file_responses(columns: list[str]) -> dict:
    """The file in each format: the JSON one is a list of rows keyed by the columns."""
    rows = {"type": "array", "items": {"type": "object", "properties": {c: {} for c in columns}}}
    return {
        (200, "text/csv"): OpenApiTypes.STR,
        (200, lists.CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        (200, "application/json"): rows,
        404: OpenApiResponse(description="No such format"),
    }


@extend_schema(
    operation_id="exports_certificates_retrieve",
    summary="The certificates you may see, with their status today, as a CSV, XLSX or JSON file",
    parameters=[
        LIST_FORMAT,
        OpenApiParameter("agreement", str, description="only this agreement's (its slug)"),
    ],
    responses=_list_file_responses(lists.CERTIFICATE_COLUMNS),
)
@api_view(["GET"])
@renderer_classes([JSONRenderer])
@content_negotiation_class(JSONErrorsNegotiation)
def certificates_file_view(request, fmt):
    from django.utils import timezone

    from limpia.access.rules import agreements_visible_to
    from limpia.agreements.models import Agreement, Certificate

    if fmt not in lists.FORMATS:
        raise Http404
    visible = agreements_visible_to(request.user, Agreement.objects.all())
    certificates = Certificate.objects.for_listing().filter(agreement__in=visible)
    if request.query_params.get("agreement"):
        certificates = certificates.filter(agreement__slug=request.query_params["agreement"])
    table = lists.certificate_table(
        certificates.order_by("agreement__code", "code"),
        today=timezone.localdate(),
        base_url=request.build_absolute_uri("/")[:-1],
    )
    content, content_type = lists.render("certificates", *table, fmt)
    return _file(content, content_type, f"certificates.{fmt}")


@extend_schema(
    operation_id="exports_registry_retrieve",
    summary="The public registry of auditors and specialists as a CSV, XLSX or JSON file",
    parameters=[LIST_FORMAT],
    responses=_list_file_responses(lists.REGISTRY_COLUMNS),
)
@api_view(["GET"])
@renderer_classes([JSONRenderer])
@content_negotiation_class(JSONErrorsNegotiation)
def registry_file_view(request, fmt):
    from django.utils import timezone

    from limpia.registry.models import Expert

    if fmt not in lists.FORMATS:
        raise Http404
    table = lists.registry_table(Expert.objects.public_list(timezone.localdate()))
    content, content_type = lists.render("registry", *table, fmt)
    return _file(content, content_type, f"registry.{fmt}")
