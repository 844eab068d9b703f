"""REST API v1: thin views over the querysets (reads) and the services (writes)."""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from limpia.access.rules import measurements_visible_to, plans_visible_to
from limpia.api import serializers as s
from limpia.api.tree import tree_data
from limpia.core.dates import parse_as_of
from limpia.core.memory import collector_paused
from limpia.core.models import Country, Organization, Sector, Subdivision, Subregion
from limpia.core.services import organization_save, require_perm
from limpia.plans import services
from limpia.plans.models import Indicator, Measurement, Node, Plan, Target
from limpia.plans.progress import plan_tree


class ReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    pass


class CountryViewSet(ReferenceViewSet):
    queryset = Country.objects.all()
    serializer_class = s.CountrySerializer
    filterset_fields = ["code"]


class SubdivisionViewSet(ReferenceViewSet):
    queryset = Subdivision.objects.all()
    serializer_class = s.SubdivisionSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Z0-9]{2}-[A-Z0-9]{1,3}"
    filterset_fields = ["country", "type", "parent"]


class SubregionViewSet(ReferenceViewSet):
    queryset = Subregion.objects.prefetch_related("countries")
    serializer_class = s.SubregionSerializer
    lookup_field = "key"


class SectorViewSet(ReferenceViewSet):
    queryset = Sector.objects.all()
    serializer_class = s.SectorSerializer
    lookup_field = "code"
    filterset_fields = ["level", "parent"]


class OrganizationViewSet(viewsets.ModelViewSet):
    queryset = Organization.objects.for_listing()
    serializer_class = s.OrganizationSerializer
    lookup_field = "key"
    filterset_fields = ["kind", "country"]

    def perform_create(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        serializer.instance = organization_save(
            acting_user=self.request.user, organization=Organization(**data), reason="api"
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version")
        for field, value in data.items():
            setattr(serializer.instance, field, value)
        organization_save(
            acting_user=self.request.user,
            organization=serializer.instance,
            reason="api",
            version=version,
        )


class PlanElementMixin:
    """Writes of plans, nodes, indicators and targets go through `plan_element_save`."""

    def perform_create(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        instance = serializer.Meta.model(**data)
        serializer.instance = services.plan_element_save(
            acting_user=self.request.user, instance=instance, reason="api"
        )

    def perform_update(self, serializer):
        instance = serializer.instance
        data = dict(serializer.validated_data)
        version = data.pop("version")  # required on updates (api.serializers.Versioned)
        for field, value in data.items():
            setattr(instance, field, value)
        services.plan_element_save(
            acting_user=self.request.user, instance=instance, reason="api", version=version
        )

    def perform_destroy(self, instance):
        services.plan_element_delete(acting_user=self.request.user, instance=instance)


class PlanViewSet(PlanElementMixin, viewsets.ModelViewSet):
    serializer_class = s.PlanSerializer
    lookup_field = "slug"
    filterset_fields = ["status", "country", "parent__slug"]

    def get_queryset(self):
        return Plan.objects.visible_to(self.request.user).for_listing()

    @extend_schema(
        parameters=[OpenApiParameter("as_of", str, description="YYYY-MM-DD, default today")],
        responses=s.TreeSerializer,
    )
    @action(detail=True)
    def tree(self, request, slug=None):
        """The whole plan as a tree with progress, coverage and status counts."""
        as_of = parse_as_of(request.query_params.get("as_of"))
        plan = self.get_object()
        tree = plan_tree(plan, as_of=as_of)
        subplans = Plan.objects.visible_to(request.user).filter(parent=plan).for_listing()
        with collector_paused():
            data = tree_data(tree, s.PlanSerializer(plan).data)
        return Response(
            {
                **data,
                "subplans": [
                    {"slug": p.slug, "title": p.title, "jurisdiction": p.jurisdiction}
                    for p in subplans
                ],
            }
        )

    def _change_status(self, verb):
        plan = services.plan_change_status(
            acting_user=self.request.user, plan=self.get_object(), verb=verb
        )
        return Response(s.PlanSerializer(plan).data)

    @extend_schema(request=None, responses=s.PlanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, slug=None):
        """Approve a draft plan (administrators)."""
        return self._change_status("approve")

    @extend_schema(request=None, responses=s.PlanSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, slug=None):
        """Archive a plan (administrators)."""
        return self._change_status("archive")

    @extend_schema(request=None, responses=s.PlanSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, slug=None):
        """Return an approved or archived plan to draft (administrators)."""
        return self._change_status("reopen")


class NodeViewSet(PlanElementMixin, viewsets.ModelViewSet):
    serializer_class = s.NodeSerializer
    filterset_fields = ["plan__slug", "parent", "depth", "horizon"]

    def get_queryset(self):
        plans = plans_visible_to(self.request.user, Plan.objects.all())
        return (
            Node.objects.filter(plan__in=plans)
            .select_related("plan")
            .prefetch_related("responsibilities__organization")
        )

    def _save_with_responsibilities(self, serializer, save):
        responsibilities = serializer.validated_data.pop("responsibilities", None)
        with transaction.atomic():
            save(serializer)
            if responsibilities is not None:
                services.node_set_responsibilities(
                    acting_user=self.request.user,
                    node=serializer.instance,
                    responsibilities=[(r["organization"], r["role"]) for r in responsibilities],
                )

    def perform_create(self, serializer):
        self._save_with_responsibilities(serializer, super().perform_create)

    def perform_update(self, serializer):
        self._save_with_responsibilities(serializer, super().perform_update)


class IndicatorViewSet(PlanElementMixin, viewsets.ModelViewSet):
    serializer_class = s.IndicatorSerializer
    filterset_fields = ["plan__slug", "node", "kind"]

    def get_queryset(self):
        plans = plans_visible_to(self.request.user, Plan.objects.all())
        return (
            Indicator.objects.filter(plan__in=plans)
            .select_related("plan")
            .prefetch_related("targets")
        )


class TargetViewSet(PlanElementMixin, viewsets.ModelViewSet):
    serializer_class = s.TargetSerializer
    filterset_fields = ["indicator"]

    def get_queryset(self):
        plans = plans_visible_to(self.request.user, Plan.objects.all())
        return Target.objects.filter(indicator__plan__in=plans).select_related("indicator__plan")


class MeasurementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.MeasurementSerializer
    filterset_fields = ["indicator", "status", "indicator__plan__slug"]

    def get_queryset(self):
        queryset = Measurement.objects.for_listing().order_by("-date", "-id")
        return measurements_visible_to(self.request.user, queryset)

    def _fields(self, data):
        return {
            "date": data["date"],
            "value": data.get("value"),
            "text": data.get("text", ""),
            "disaggregation": data.get("disaggregation"),
            "comment": data.get("comment", ""),
            "evidence_url": data.get("evidence_url", ""),
        }

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.measurement_create(
            acting_user=self.request.user,
            indicator=data["indicator"],
            submit=data.get("submit", False),
            **self._fields(data),
        )

    def perform_update(self, serializer):
        current = serializer.instance
        data = {
            "date": current.date,
            "value": current.value,
            "text": current.text,
            "disaggregation": current.disaggregation,
            "comment": current.comment,
            "evidence_url": current.evidence_url,
            **serializer.validated_data,
        }
        serializer.instance = services.measurement_update(
            acting_user=self.request.user,
            measurement=serializer.instance,
            version=serializer.validated_data["version"],
            **self._fields(data),
        )

    def _transition(self, service, **kwargs):
        measurement = service(
            acting_user=self.request.user, measurement=self.get_object(), **kwargs
        )
        return Response(
            s.MeasurementSerializer(measurement, context=self.get_serializer_context()).data
        )

    @extend_schema(request=None, responses=s.MeasurementSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(services.measurement_submit)

    @extend_schema(request=None, responses=s.MeasurementSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(services.measurement_approve)

    @extend_schema(request=s.ReturnSerializer, responses=s.MeasurementSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        require_perm(request.user, "plans.review_measurement", self.get_object())
        body = s.ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._transition(services.measurement_return, note=body.validated_data["note"])
