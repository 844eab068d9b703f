"""API of the plan workbook import: upload a file, get its preview, or write it.

`POST /api/v1/imports/plan/` (multipart: `file`, `dry_run` default true) checks the whole file
against the database with limpia.exchange.plan_import and answers with the preview (200), or
writes it in one transaction and answers with the preview of what was written (201). A file with
errors is a 400 listing every error (sheet, row, column, message); nothing is written.
`GET /api/v1/imports/plan/template.xlsx` is the empty workbook to fill in.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import (
    api_view,
    content_negotiation_class,
    parser_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from limpia.core.errors import NotAllowed
from limpia.exchange.api import JSONErrorsNegotiation
from limpia.exchange.plan_import import (
    ImportRefused,
    ParsedPlan,
    Preview,
    apply,
    check_permission,
    load_state,
    parse_plan_workbook,
    preview,
)
from limpia.exchange.tabular import MAX_FILE_BYTES, CellError
from limpia.exchange.templates_files import XLSX_TYPE, template

# Room for the multipart envelope and the other fields around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


# ---------------------------------------------------------------- serializers (the schema)


class PlanImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The workbook: an .xlsx file or a .zip of CSV files (at most 20 MB)."
    )
    dry_run = serializers.BooleanField(
        default=True,
        required=False,
        help_text="true (default): check and preview, write nothing; false: write the file.",
    )


class WorkbookProblemSerializer(serializers.Serializer):
    sheet = serializers.CharField(allow_null=True)
    row = serializers.IntegerField(allow_null=True, help_text="As the spreadsheet shows it.")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class PlanImportRowSerializer(serializers.Serializer):
    sheet = serializers.CharField()
    row = serializers.IntegerField()
    key = serializers.CharField()
    action = serializers.CharField(help_text="create, update or unchanged")
    changes = serializers.ListField(child=serializers.CharField(), help_text="Fields changed.")


class PlanImportOrganizationSerializer(serializers.Serializer):
    name = serializers.CharField()
    action = serializers.CharField(help_text="matched or created")
    key = serializers.CharField()


class PlanImportPreviewSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="Per sheet: how many rows are created, updated and left unchanged.",
    )
    rows = PlanImportRowSerializer(many=True, help_text="The rows created or updated.")
    organizations = PlanImportOrganizationSerializer(many=True)
    warnings = WorkbookProblemSerializer(many=True)
    errors = WorkbookProblemSerializer(many=True)


class PlanImportRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="invalid_workbook")
    errors = WorkbookProblemSerializer(many=True)
    warnings = WorkbookProblemSerializer(many=True)


# ---------------------------------------------------------------- views


def _refusal(errors: list[CellError], warnings: list[CellError]) -> Response:
    return Response(
        {
            "detail": _("The workbook has %(count)d error(s); nothing was written.")
            % {"count": len(errors)},
            "code": "invalid_workbook",
            "errors": [e.as_dict() for e in errors],
            "warnings": [w.as_dict() for w in warnings],
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


def may_import(user) -> bool:
    """Whether the user may import some plan: administrators and plan editors."""
    return bool(
        user.is_authenticated
        and (user.has_perm("plans.add_plan") or user.has_perm("plans.change_plan"))
    )


def checked_preview(parsed: ParsedPlan, user) -> Preview:
    """The preview for `user`; NotAllowed when they may not import this plan."""
    state = load_state(parsed.slug)
    if parsed.slug:
        check_permission(parsed, state, user)
    return preview(parsed, state, acting_user=user)


def _too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > MAX_FILE_BYTES + MULTIPART_OVERHEAD


@extend_schema(
    operation_id="imports_plan_create",
    summary="Import a plan workbook: preview it (dry run, the default) or write it",
    description=(
        "Checks the whole file (format in docs/import-format.md) against the database. With "
        "dry_run (the default) nothing is written and the answer is the preview; otherwise the "
        "file is written in one transaction and the answer is the preview of what was written. "
        "A file with errors is refused with every error, naming its sheet, row and column. "
        "Administrators and the plan's editors may import; approved or returned measurements "
        "need an administrator or a reviewer of the plan."
    ),
    request={"multipart/form-data": PlanImportRequestSerializer},
    responses={
        200: OpenApiResponse(PlanImportPreviewSerializer, description="Preview (dry run)"),
        201: OpenApiResponse(PlanImportPreviewSerializer, description="Written"),
        400: OpenApiResponse(
            PlanImportRefusalSerializer, description="The file has errors; nothing was written"
        ),
        401: OpenApiResponse(description="Not logged in"),
        403: OpenApiResponse(description="Not allowed to import this plan"),
    },
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
@permission_classes([IsAuthenticated])
@renderer_classes([JSONRenderer])
def plan_import_view(request):
    if not may_import(request.user):
        raise NotAllowed(_("You are not allowed to import plans."))
    if _too_large(request):
        return _refusal(
            [CellError(None, None, None, _("The file is too large; the limit is 20 MB."))], []
        )
    form = PlanImportRequestSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    upload = form.validated_data["file"]
    parsed = parse_plan_workbook(upload)
    result = checked_preview(parsed, request.user)
    if result.errors or not parsed.slug:
        return _refusal(result.errors, result.warnings)
    if form.validated_data["dry_run"]:
        return Response(result.as_dict(), status=status.HTTP_200_OK)
    try:
        written = apply(parsed, acting_user=request.user)
    except ImportRefused as refused:  # the plan changed between the check and the write
        return _refusal(refused.errors, result.warnings)
    return Response(written.as_dict(), status=status.HTTP_201_CREATED)


@extend_schema(
    operation_id="imports_plan_template_retrieve",
    summary="The empty plan workbook (.xlsx) to fill in, with instructions in Spanish",
    responses={(200, XLSX_TYPE): OpenApiTypes.BINARY},
)
@api_view(["GET"])
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer])
@content_negotiation_class(JSONErrorsNegotiation)
def plan_template_view(request):
    return template_response()


def template_response() -> HttpResponse:
    filename, content_type, content = template("plan")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
