"""REST API of the knowledge centre: `GET /api/v1/documents/?q=...&kind=&sector=&country=
&language=` (search when `q` is given, newest first otherwise) and `GET /api/v1/documents/<id>/`.
Read-only: documents are edited in the back office through the services."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets

from limpia.knowledge import search
from limpia.knowledge.models import CaseStudyResult, Document, FileType
from limpia.knowledge.queries import documents_visible_to, filter_documents

FILTERS = ("kind", "sector", "country", "language")


class CaseStudyResultSerializer(serializers.ModelSerializer):
    agreement = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = CaseStudyResult
        fields = [
            "metric",
            "value",
            "unit",
            "entered_value",
            "entered_unit",
            "period",
            "agreement",
            "node",
        ]


class DocumentSerializer(serializers.ModelSerializer):
    sectors = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    countries = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    download_url = serializers.SerializerMethodField()
    results = CaseStudyResultSerializer(many=True, read_only=True)
    # blank for a document that is a link, not a file
    file_type = serializers.ChoiceField(FileType.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "title",
            "abstract",
            "sectors",
            "countries",
            "language",
            "published_on",
            "tags",
            "link",
            "file_type",
            "download_url",
            "status",
            "is_sample",
            "results",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, document) -> str | None:
        if not document.file:
            return None
        path = reverse("knowledge:download", args=[document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DocumentHitSerializer(serializers.Serializer):
    """A search hit: the document, its rank and an HTML snippet (escaped, with <mark>s)."""

    document = DocumentSerializer()
    rank = serializers.FloatField()
    snippet_html = serializers.CharField()


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="Words to search for (Spanish, all must match)"),
        OpenApiParameter("kind", str),
        OpenApiParameter("sector", str, description="ISIC code; includes its subsectors"),
        OpenApiParameter("country", str, description="ISO 3166-1 alpha-2"),
        OpenApiParameter("language", str),
    ]
)
class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        documents = documents_visible_to(self.request.user).prefetch_related(
            "sectors", "countries", "results__agreement"
        )
        return documents.order_by("-published_on", "-id")

    def _filters(self) -> dict:
        return {key: self.request.query_params.get(key) or None for key in FILTERS}

    def list(self, request, *args, **kwargs):
        query = (request.query_params.get("q") or "").strip()
        if not query:
            queryset = filter_documents(self.get_queryset(), **self._filters())
            page = self.paginate_queryset(queryset)
            data = DocumentSerializer(page, many=True, context={"request": request}).data
            return self.get_paginated_response(data)
        hits = search.search(
            query,
            include_drafts=request.user.has_perm("knowledge.edit_document"),
            **self._filters(),
        )
        page = self.paginate_queryset(hits)
        data = DocumentHitSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)
