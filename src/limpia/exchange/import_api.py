"""API of the workbook imports (plan, agreement): preview a file, write it, or queue it.

`POST /api/v1/imports/{plan|agreement}/` (multipart: `file`, `dry_run` default true,
`background` default false) checks the whole file against the database and answers with the
preview (200), or writes it in one transaction and answers with the preview of what was written
(201). A file with errors is a 400 listing every error (sheet, row, column, message); nothing is
written. With `background`, the file becomes an import job (limpia.exchange.jobs) and the answer
is 202 with the job; `GET /api/v1/imports/jobs/{id}/` follows its progress and gives its result,
`POST .../confirm/` writes a checked job. `GET /api/v1/imports/{kind}/template.xlsx` is the empty
workbook to fill in.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
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

from limpia.access.rules import import_jobs_visible_to
from limpia.core.errors import DomainError, NotAllowed
from limpia.exchange import jobs
from limpia.exchange.api import JSONErrorsNegotiation
from limpia.exchange.importers import IMPORTERS
from limpia.exchange.models import ImportJob
from limpia.exchange.plan_import import ImportRefused
from limpia.exchange.tabular import MAX_FILE_BYTES, CellError
from limpia.exchange.templates_files import XLSX_TYPE, template

# Room for the multipart envelope and the other fields around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
JOBS_LISTED = 100


# ---------------------------------------------------------------- serializers (the schema)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The workbook: an .xlsx file or a .zip of CSV files (at most 20 MB)."
    )
    dry_run = serializers.BooleanField(
        default=True,
        required=False,
        help_text="true (default): check and preview, write nothing; false: write the file.",
    )
    background = serializers.BooleanField(
        default=False,
        required=False,
        help_text=(
            "true: queue the file as an import job and answer at once (202) with the job to "
            "follow; meant for files of tens of thousands of rows."
        ),
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


class NamedSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="organization, company or auditor")
    name = serializers.CharField()
    action = serializers.CharField(help_text="matched or created")
    key = serializers.CharField()


class AgreementImportPreviewSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="Per sheet: how many rows are created, updated and left unchanged.",
    )
    rows = PlanImportRowSerializer(many=True, help_text="The rows created or updated.")
    named = NamedSerializer(many=True)
    warnings = WorkbookProblemSerializer(many=True)
    errors = WorkbookProblemSerializer(many=True)


class ImportJobProgressSerializer(serializers.Serializer):
    status = serializers.CharField()
    phase = serializers.CharField(help_text="reading, checking or writing")
    unit = serializers.CharField(help_text="rows (bytes while reading a .zip of CSV files)")
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    stalled = serializers.BooleanField(
        help_text="Running but silent for minutes: its worker died; retry it from the page."
    )


class ImportJobResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
    rows = PlanImportRowSerializer(many=True, help_text="The first 200 changed rows per sheet.")
    named = NamedSerializer(many=True)
    warnings = WorkbookProblemSerializer(many=True)
    errors = WorkbookProblemSerializer(many=True, help_text="The first 1,000 errors.")
    error_count = serializers.IntegerField()


class ImportJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    result = ImportJobResultSerializer(allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    slug = serializers.CharField(
        read_only=True, help_text="The plan's or agreement's slug, once read; blank before."
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "kind",
            "filename",
            "size",
            "write",
            "status",
            "slug",
            "progress",
            "result",
            "error",
            "attempts",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return f"/api/v1/imports/jobs/{job.pk}/"

    @extend_schema_field(ImportJobProgressSerializer)
    def get_progress(self, job) -> dict:
        return jobs.progress(job)


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


class ImportRefusalSerializer(serializers.Serializer):
    """A workbook with errors (`invalid_workbook`, with `errors` and `warnings`), or a request
    without its file or with a wrong flag (`invalid`, naming the `field` like any API error)."""

    detail = serializers.CharField()
    code = serializers.CharField(help_text="invalid_workbook, or invalid")
    field = serializers.CharField(required=False, help_text="the request's field at fault")
    errors = WorkbookProblemSerializer(many=True, required=False)
    warnings = WorkbookProblemSerializer(many=True, required=False)


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


def _too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > MAX_FILE_BYTES + MULTIPART_OVERHEAD


def _import(request, kind: str):
    chosen = IMPORTERS[kind]
    if not chosen.may_import(request.user):
        raise NotAllowed(_("You are not allowed to import a %(kind)s.") % {"kind": chosen.label})
    if _too_large(request):
        return _refusal(
            [CellError(None, None, None, _("The file is too large; the limit is 20 MB."))], []
        )
    form = ImportRequestSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    upload = form.validated_data["file"]
    if form.validated_data["background"]:
        job = jobs.submit(
            kind,
            upload.read(MAX_FILE_BYTES + 1),
            upload.name,
            acting_user=request.user,
            write=not form.validated_data["dry_run"],
        )
        data = ImportJobSerializer(job).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
    parsed = chosen.parse(upload)
    result = chosen.check(parsed, acting_user=request.user)
    if result.errors or not parsed.slug:
        return _refusal(result.errors, result.warnings)
    if form.validated_data["dry_run"]:
        return Response(result.as_dict(), status=status.HTTP_200_OK)
    try:
        written = chosen.write(parsed, acting_user=request.user)
    except ImportRefused as refused:  # the data changed between the check and the write
        return _refusal(refused.errors, result.warnings)
    return Response(written.as_dict(), status=status.HTTP_201_CREATED)


def _import_schema(kind: str, preview_serializer, who: str):
    return extend_schema(
        operation_id=f"imports_{kind}_create",
        summary=f"Import a{'n' if kind[0] in 'aeiou' else ''} {kind} workbook: preview it "
        "(dry run, the default), write it, or queue it as a background job",
        description=(
            f"Checks the whole file (format in docs/import-format"
            f"{'-agreements' if kind == 'agreement' else ''}.md) against the database. With "
            "dry_run (the default) nothing is written and the answer is the preview; otherwise "
            "the file is written in one transaction and the answer is the preview of what was "
            "written. A file with errors is refused with every error, naming its sheet, row and "
            "column. With background, the answer is the queued job (202), to follow at its url. "
            + who
        ),
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: OpenApiResponse(preview_serializer, description="Preview (dry run)"),
            201: OpenApiResponse(preview_serializer, description="Written"),
            202: OpenApiResponse(ImportJobSerializer, description="Queued as a job"),
            400: OpenApiResponse(
                ImportRefusalSerializer, description="The file has errors; nothing was written"
            ),
            401: OpenApiResponse(description="Not logged in"),
            403: OpenApiResponse(description="Not allowed to import this " + kind),
        },
    )


PLAN_WHO = (
    "Administrators and the plan's editors may import; approved or returned measurements need "
    "an administrator or a reviewer of the plan."
)
AGREEMENT_WHO = (
    "Administrators may import any agreement; an agreement's coordinators may update it. "
    "Placing a historical agreement at a later stage and bringing in auditors need an "
    "administrator."
)


@_import_schema("plan", PlanImportPreviewSerializer, PLAN_WHO)
@api_view(["POST"])
@parser_classes([MultiPartParser])
@permission_classes([IsAuthenticated])
@renderer_classes([JSONRenderer])
def plan_import_view(request):
    return _import(request, "plan")


@_import_schema("agreement", AgreementImportPreviewSerializer, AGREEMENT_WHO)
@api_view(["POST"])
@parser_classes([MultiPartParser])
@permission_classes([IsAuthenticated])
@renderer_classes([JSONRenderer])
def agreement_import_view(request):
    return _import(request, "agreement")


def _template_view(kind: str):
    @extend_schema(
        operation_id=f"imports_{kind}_template_retrieve",
        summary=f"The empty {kind} workbook (.xlsx) to fill in, with instructions in Spanish",
        responses={(200, XLSX_TYPE): OpenApiTypes.BINARY},
    )
    @api_view(["GET"])
    @permission_classes([AllowAny])
    @renderer_classes([JSONRenderer])
    @content_negotiation_class(JSONErrorsNegotiation)
    def view(request):
        return template_response(kind)

    return view


plan_template_view = _template_view("plan")
agreement_template_view = _template_view("agreement")


def template_response(kind: str = "plan") -> HttpResponse:
    filename, content_type, content = template(kind)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------- jobs


def _visible_job(request, pk) -> ImportJob:
    job = (
        import_jobs_visible_to(request.user, ImportJob.objects.select_related("created_by"))
        .filter(pk=pk)
        .first()
    )
    if job is None:
        raise Http404
    return job


@extend_schema(
    operation_id="imports_jobs_list",
    summary="Your import jobs (an administrator's: everyone's), newest first (the last 100)",
    responses={
        200: ImportJobSerializer(many=True),
        401: OpenApiResponse(description="Not logged in"),
    },
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
@renderer_classes([JSONRenderer])
def job_list_view(request):
    rows = import_jobs_visible_to(request.user, ImportJob.objects.for_listing())[:JOBS_LISTED]
    return Response(ImportJobSerializer(rows, many=True).data)


@extend_schema(
    operation_id="imports_jobs_retrieve",
    summary="An import job: its status, progress and, once checked or written, its result",
    responses={
        200: ImportJobSerializer,
        401: OpenApiResponse(description="Not logged in"),
        404: OpenApiResponse(description="No such job, or not yours"),
    },
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
@renderer_classes([JSONRenderer])
def job_detail_view(request, pk):
    return Response(ImportJobSerializer(_visible_job(request, pk)).data)


@extend_schema(
    operation_id="imports_jobs_confirm",
    summary="Write a checked import job (status ready); only the person who uploaded it may",
    request=None,
    responses={
        202: ImportJobSerializer,
        401: OpenApiResponse(description="Not logged in"),
        403: OpenApiResponse(description="Not the job of this user"),
        404: OpenApiResponse(description="No such job, or not yours"),
        409: OpenApiResponse(description="The job is not waiting for confirmation"),
    },
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
@renderer_classes([JSONRenderer])
def job_confirm_view(request, pk):
    job = _visible_job(request, pk)
    try:
        job = jobs.confirm(job, acting_user=request.user)
    except DomainError as refused:
        if refused.code == "permission_denied":
            raise
        return Response(
            {"detail": refused.message, "code": refused.code}, status=status.HTTP_409_CONFLICT
        )
    return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
