"""API v1 for Clean Production Agreements, certificates and the registry: thin over services."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from limpia.access.rules import (
    agreements_visible_to,
    audits_visible_to,
    consultations_visible_to,
    is_admin,
)
from limpia.agreements import dashboard, figures, queues, services
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditType,
    Certificate,
    Company,
    Consultation,
    Facility,
    Impact,
)
from limpia.api import agreement_serializers as s
from limpia.api.pagination import Pagination
from limpia.api.permissions import object_for
from limpia.core.dates import parse_as_of
from limpia.core.errors import DomainError, NotAllowed
from limpia.core.services import require_perm
from limpia.core.signing import verify
from limpia.registry.models import Expert


def _agreements(user):
    return (
        agreements_visible_to(user, Agreement.objects.all())
        .for_listing()
        .with_facility_counts(timezone.localdate())
        .order_by("-signing_date", "code")
    )


class AgreementViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    filterset_fields = ["stage", "country", "sectors__code"]
    search_fields = ["code", "name"]

    def get_queryset(self):
        if self.action not in ("list", "retrieve", "stage", "extend"):
            # stage, extend, compliance, late, impacts: the agreement itself is enough.
            return agreements_visible_to(self.request.user, Agreement.objects.all())
        queryset = _agreements(self.request.user)
        if self.action in ("retrieve", "stage", "extend"):  # these two answer the agreement
            queryset = queryset.prefetch_related(
                "signatories__organization", "goals__actions", "stage_changes__changed_by"
            )
        return queryset

    def get_serializer_class(self):
        return s.AgreementSerializer if self.action == "retrieve" else s.AgreementListSerializer

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        reports = figures.consolidated_many(page)
        data = s.AgreementListSerializer(page, many=True, context={"reports": reports}).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        agreement = self.get_object()
        reports = {agreement.pk: figures.consolidated(agreement)}
        return Response(s.AgreementSerializer(agreement, context={"reports": reports}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", str, description="YYYY-MM-DD, default today"),
            OpenApiParameter("country", str, description="ISO 3166-1 alpha-2, default all"),
        ],
        responses=dict,
    )
    @action(detail=False)
    def dashboard(self, request):
        """The national APL dashboard: agreements by stage, companies and facilities adhered
        and certified, the compliance distribution (exact mean as numerator/denominator), by
        sector (ISIC division), region and size, and per year, on `as_of`."""
        now = dashboard.current(
            request.user,
            as_of=parse_as_of(request.query_params.get("as_of")),
            country=(request.query_params.get("country") or "").upper() or None,
        )
        return Response(dashboard.current_json(now))

    @extend_schema(request=s.StageChangeRequestSerializer, responses=s.AgreementSerializer)
    @action(detail=True, methods=["post"])
    def stage(self, request, slug=None):
        """Move the agreement to its next stage, or cancel it (coordinators)."""
        agreement = object_for(self, "agreements.change_stage")
        body = s.StageChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.agreement_change_stage(
            acting_user=request.user, agreement=agreement, **body.validated_data
        )
        return self.retrieve(request)

    @extend_schema(request=s.ExtensionRequestSerializer, responses=s.AgreementSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, slug=None):
        agreement = object_for(self, "agreements.change_stage")
        body = s.ExtensionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.agreement_extend(
            acting_user=request.user, agreement=agreement, **body.validated_data
        )
        return self.retrieve(request)

    @extend_schema(
        parameters=[
            OpenApiParameter("audit", str, enum=["final", "intermediate", "maintenance"]),
            OpenApiParameter("page", int, description="page of the facility and company lines"),
            OpenApiParameter(
                "page_size", int, description="lines per page (default 50, at most 500)"
            ),
        ],
        responses=s.ComplianceReportSerializer,
    )
    @action(detail=True)
    def compliance(self, request, slug=None):
        """The consolidated report: the agreement's figure, then per facility, company, goal
        and action (fractions; null when not assessable). The facility and company lines come
        a page at a time (`page`, `page_size`; `next` and `previous` link the pages); goals and
        actions in full."""
        audit_type = request.query_params.get("audit", AuditType.FINAL)
        if audit_type not in (AuditType.FINAL, AuditType.INTERMEDIATE, AuditType.MAINTENANCE):
            raise DomainError("audit must be final, intermediate or maintenance.", field="audit")
        agreement = self.get_object()
        summary = figures.report_summary(agreement, audit_type)
        page = Pagination().lines_page(
            request, max(summary.facilities_count, summary.companies_count)
        )
        facilities, companies = figures.report_lines(agreement, page.slice, audit_type)
        return Response(
            {
                "audit": audit_type,
                "compliance": s.fraction(summary.compliance),
                **page.links,
                "facilities_count": summary.facilities_count,
                "companies_count": summary.companies_count,
                "facilities": [
                    {
                        "facility_code": f.facility_code,
                        "tax_id": f.company_tax_id,
                        "compliance": s.fraction(f.compliance),
                        "applicable": f.applicable,
                        "complying": f.complying,
                    }
                    for f in facilities
                ],
                "companies": [
                    {
                        "tax_id": c.tax_id,
                        "compliance": s.fraction(c.compliance),
                        "facilities": c.facilities,
                    }
                    for c in companies
                ],
                "goals": [
                    {"code": g.code, "compliance": s.fraction(g.compliance)} for g in summary.goals
                ],
                "actions": [
                    {
                        "code": a.code,
                        "goal": a.goal_code,
                        "compliance": s.fraction(a.compliance),
                        "applicable_facilities": a.applicable_facilities,
                        "complying_facilities": a.complying_facilities,
                    }
                    for a in summary.actions
                ],
            }
        )

    @extend_schema(responses=s.LateFacilitySerializer(many=True))
    @action(detail=True, pagination_class=None)  # a plain list (and so in the schema)
    def late(self, request, slug=None):
        """Facilities with overdue actions (coordinators)."""
        agreement = self.get_object()
        if not request.user.has_perm("agreements.change_agreement", agreement):
            raise NotAllowed(_("Only the agreement's coordinators see who is late."))
        rows = queues.late_facilities(agreement, today=timezone.localdate())
        return Response(
            [
                {
                    "facility_code": r["facility"].code,
                    "overdue_actions": r["overdue_actions"],
                    "last_report": r["last_report"],
                }
                for r in rows
            ]
        )

    @extend_schema(responses=s.ImpactTotalSerializer(many=True))
    @action(detail=True, pagination_class=None)  # a plain list (and so in the schema)
    def impacts(self, request, slug=None):
        """Impact totals per metric and year, absolute and per unit of production."""
        from limpia.agreements.impacts import aggregate

        return Response(aggregate(self.get_object()))


class CompanyViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CompanySerializer
    filterset_fields = ["country", "size", "tax_id"]
    search_fields = ["name", "tax_id"]

    def get_queryset(self):
        if is_admin(self.request.user):
            return Company.objects.select_related("sector")
        visible = agreements_visible_to(self.request.user, Agreement.objects.all())
        condition = Q(facilities__adhesions__agreement__in=visible)
        if self.request.user.is_authenticated:
            condition |= Q(roles__user=self.request.user)
        return Company.objects.filter(condition).distinct().select_related("sector")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.company_register(
            acting_user=self.request.user,
            country=data["country"],
            tax_id=data["tax_id"],
            name=data["name"],
            size=data["size"],
        )


class FacilityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.FacilitySerializer
    lookup_field = "code"
    filterset_fields = ["company__tax_id", "subdivision"]
    search_fields = ["code", "name", "company__name", "company__tax_id"]

    def get_queryset(self):
        # the facilities adhered to a visible agreement, as a set the database builds once
        # (IN, not a join: no DISTINCT over every facility's columns before the page is cut)
        visible = agreements_visible_to(self.request.user, Agreement.objects.all())
        adhered = Adhesion.objects.filter(agreement__in=visible).values("facility_id")
        return Facility.objects.filter(pk__in=adhered).select_related("company")


class AdhesionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.AdhesionSerializer
    filterset_fields = ["agreement__slug", "facility__code"]
    search_fields = ["facility__code", "facility__name", "facility__company__name"]

    def get_queryset(self):
        visible = agreements_visible_to(self.request.user, Agreement.objects.all())
        return Adhesion.objects.filter(agreement__in=visible).select_related(
            "agreement", "facility"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.facility_adhere(
            acting_user=self.request.user,
            agreement=data["agreement"],
            facility=data["facility"],
            adhered_on=data["adhered_on"],
            exception_reason=data.get("exception_reason", ""),
        )

    @extend_schema(request=s.WithdrawalSerializer, responses=s.AdhesionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        adhesion = object_for(self, "agreements.record_adhesion")
        body = s.WithdrawalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        adhesion = services.adhesion_withdraw(
            acting_user=request.user, adhesion=adhesion, **body.validated_data
        )
        return Response(s.AdhesionSerializer(adhesion).data)


class AuditViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.AuditSerializer
    filterset_fields = ["agreement__slug", "facility__code", "audit_type", "status"]

    def get_queryset(self):
        queryset = Audit.objects.for_listing().prefetch_related("items__action__goal")
        return audits_visible_to(self.request.user, queryset)

    @extend_schema(request=s.AuditOpenSerializer, responses={201: s.AuditSerializer})
    def create(self, request):
        """Assign an audit of one facility to a registered auditor (coordinators)."""
        body = s.AuditOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        audit = services.audit_open(acting_user=request.user, **body.validated_data)
        return Response(s.AuditSerializer(audit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AuditItemRequestSerializer, responses=s.AuditItemSerializer)
    @action(detail=True, methods=["post"])
    def items(self, request, pk=None):
        """Record one item (the assigned auditor), with the `version` read (0 for a new item)."""
        audit = object_for(self, "agreements.record_audit")
        body = s.AuditItemRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        action_obj = Action.objects.filter(
            goal__agreement_id=audit.agreement_id, code=data.pop("action")
        ).first()
        if action_obj is None:
            raise DomainError("No such action in this agreement.", field="action")
        item = services.audit_item_record(
            acting_user=request.user, audit=audit, action=action_obj, **data
        )
        return Response(s.AuditItemSerializer(item).data)

    @extend_schema(request=s.AuditSubmitSerializer, responses=s.AuditSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        body = s.AuditSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        audit = services.audit_submit(
            acting_user=request.user, audit=self.get_object(), **body.validated_data
        )
        return Response(s.AuditSerializer(audit).data)

    @extend_schema(request=None, responses=s.AuditSerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        """Validate a correction re-verification (coordinators)."""
        audit = services.correction_validate(acting_user=request.user, audit=self.get_object())
        return Response(s.AuditSerializer(audit).data)


def _certificate_queryset():
    return Certificate.objects.for_listing().select_related("facility__company__country")


class CertificateViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CertificateSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["agreement__slug", "facility__code"]
    search_fields = ["code", "facility__code", "facility_name", "company_name"]
    permission_classes = [AllowAny]

    def get_queryset(self):
        return _certificate_queryset()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "states": self._states}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self._states = figures.certificate_states(page, today=timezone.localdate())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        certificate = self.get_object()
        self._states = figures.certificate_states([certificate], today=timezone.localdate())
        return Response(self.get_serializer(certificate).data)

    @extend_schema(request=s.CertificateIssueSerializer, responses={201: s.CertificateSerializer})
    def create(self, request):
        """Issue a certificate to an eligible facility once the regulators are cleared."""
        if not request.user.is_authenticated:
            raise NotAllowed(_("Log in to issue certificates."))
        body = s.CertificateIssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        certificate = services.certificate_issue(acting_user=request.user, **body.validated_data)
        self._states = figures.certificate_states([certificate], today=timezone.localdate())
        return Response(self.get_serializer(certificate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RevocationSerializer, responses=s.CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, code=None):
        if not request.user.is_authenticated:
            raise NotAllowed(_("Log in to revoke certificates."))
        certificate = self.get_object()
        require_perm(request.user, "agreements.revoke_certificate", certificate.agreement)
        body = s.RevocationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        certificate = services.certificate_revoke(
            acting_user=request.user, certificate=certificate, **body.validated_data
        )
        return self.retrieve(request, code=certificate.code)

    @extend_schema(
        parameters=[OpenApiParameter("signature", str, description="as printed in the QR code")],
        responses=s.VerificationSerializer,
    )
    @action(detail=True)
    def verify(self, request, code=None):
        """Anyone can check a certificate: is it genuine, and what is its status today?"""
        certificate = self.get_object()
        return Response(verification(certificate, request.query_params.get("signature")))


def _renamed(at_issue: str, now: str) -> str | None:
    return now if now != at_issue else None


def verification(certificate: Certificate, signature: str | None) -> dict:
    """What a verification page or request answers about a certificate."""
    state = figures.certificate_state(certificate, today=timezone.localdate())
    payload = services.certificate_payload(certificate)
    stored_ok = verify(payload, certificate.signature)
    presented_ok = signature is None or verify(payload, signature)
    return {
        "code": certificate.code,
        "genuine": stored_ok and presented_ok,
        "status": state.status,
        "status_reason": state.reason,
        # The names signed at issue; today's, when the holder was renamed since.
        "facility": certificate.facility_name,
        "facility_now": _renamed(certificate.facility_name, certificate.facility.name),
        "company": certificate.company_name,
        "company_now": _renamed(certificate.company_name, certificate.facility.company.name),
        "tax_id": certificate.facility.company.tax_id,
        "agreement": f"{certificate.agreement.code} {certificate.agreement_name}",
        "issued_on": certificate.issued_on,
        "valid_until": certificate.valid_until,
    }


class ExpertViewSet(viewsets.ReadOnlyModelViewSet):
    """The public registry: auditors and specialists registered today."""

    serializer_class = s.ExpertSerializer
    lookup_field = "auditor_id"
    filterset_fields = ["kind", "country"]
    search_fields = ["name", "auditor_id"]
    permission_classes = [AllowAny]

    def get_queryset(self):
        return Expert.objects.public_list(timezone.localdate())


# The service names the value and unit it converts; the request's fields are `entered_*`.
IMPACT_FIELDS = {
    "value": "entered_value",
    "amount": "entered_value",
    "unit": "entered_unit",
    "currency": "entered_unit",
}


class ImpactViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ImpactSerializer
    queryset = Impact.objects.none()

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.impact_record(
                acting_user=self.request.user,
                agreement=data["agreement"],
                facility=data["facility"],
                metric=data["metric"],
                year=data["year"],
                value=data["entered_value"],
                unit=data["entered_unit"],
                is_baseline=data.get("is_baseline", False),
            )
        except DomainError as refused:
            if refused.field not in IMPACT_FIELDS:
                raise
            field = IMPACT_FIELDS[refused.field]
            raise DomainError(refused.message, field=field, code=refused.code) from None


class ConsultationViewSet(viewsets.GenericViewSet):
    def get_queryset(self):
        return consultations_visible_to(
            self.request.user, Consultation.objects.select_related("agreement", "facility")
        )

    @extend_schema(request=s.ConsultationOpenSerializer, responses={201: s.ConsultationSerializer})
    def create(self, request):
        """Consult the agreement's regulators on an eligible facility (coordinators)."""
        body = s.ConsultationOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consultation = services.consultation_open(acting_user=request.user, **body.validated_data)
        return Response(consultation_data(consultation), status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.ConsultationSerializer)
    def retrieve(self, request, pk=None):
        consultation = self.get_object()
        if not request.user.has_perm("agreements.view_consultation", consultation):
            raise NotAllowed(_("You are not allowed to see this consultation."))
        return Response(consultation_data(consultation))

    @extend_schema(request=s.ConsultationAnswerSerializer, responses=s.ConsultationSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """A regulator objects (with its reason) or declares no objection."""
        consultation = self.get_object()
        require_perm(request.user, "agreements.answer_consultation", consultation.agreement)
        body = s.ConsultationAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        signatory = consultation.agreement.signatories.filter(pk=data["signatory"]).first()
        if signatory is None:
            raise DomainError("No such signatory in this agreement.", field="signatory")
        services.consultation_answer(
            acting_user=request.user,
            consultation=consultation,
            signatory=signatory,
            objects_to=data["objects_to"],
            reason=data.get("reason", ""),
            answered_on=data["answered_on"],
        )
        return Response(consultation_data(consultation))


def consultation_data(consultation: Consultation) -> dict:
    state, reasons = figures.consultation_state(consultation, today=timezone.localdate())
    return {
        "id": consultation.pk,
        "agreement": consultation.agreement.slug,
        "facility": consultation.facility.code,
        "consulted_on": consultation.consulted_on,
        "state": state,
        "objections": reasons,
    }


class ApplicationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Registry applications: an expert files (or registry staff file for them), staff decide."""

    serializer_class = s.ApplicationSerializer
    filterset_fields = ["status", "expert__auditor_id"]

    def get_queryset(self):
        from limpia.registry.models import Application

        queryset = Application.objects.select_related("expert").order_by("-submitted_on", "-id")
        user = self.request.user
        if user.has_perm("registry.manage_registry"):
            return queryset
        return (
            queryset.filter(expert__user_id=user.pk) if user.is_authenticated else (queryset.none())
        )

    def perform_create(self, serializer):
        from limpia.registry.services import application_submit

        data = serializer.validated_data
        serializer.instance = application_submit(
            acting_user=self.request.user,
            expert=data["expert"],
            submitted_on=data["submitted_on"],
            is_renewal=data.get("is_renewal", False),
        )

    @extend_schema(request=s.DecisionSerializer, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Recommend, observe, approve (with validity) or reject; the expert resubmits."""
        from limpia.registry.services import application_decide, require_registry_manager

        application = self.get_object()
        require_registry_manager(request.user, application.expert)
        body = s.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        application = application_decide(
            acting_user=request.user, application=application, **body.validated_data
        )
        return Response(s.ApplicationSerializer(application).data)


class ExpertDeclarationsViewSet(viewsets.GenericViewSet):
    """What an expert declares: relations with companies (conflicts of interest) and training."""

    lookup_field = "auditor_id"
    queryset = Expert.objects.all()

    @extend_schema(request=s.RelationSerializer, responses={201: s.RelationSerializer})
    @action(detail=True, methods=["post"])
    def relations(self, request, auditor_id=None):
        from limpia.registry.services import relation_declare, require_registry_manager

        expert = self.get_object()
        require_registry_manager(request.user, expert)
        body = s.RelationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        company = Company.objects.filter(
            country_id=data["country"].upper(), tax_id=data["company"]
        ).first()
        if company is None:
            raise DomainError(_("No company with that tax identifier."), field="company")
        relation_declare(
            acting_user=request.user,
            expert=expert,
            company=company,
            kind=data["kind"],
            started_on=data["started_on"],
            ended_on=data.get("ended_on"),
        )
        return Response(body.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TrainingSerializer, responses={201: s.TrainingSerializer})
    @action(detail=True, methods=["post"])
    def trainings(self, request, auditor_id=None):
        from limpia.registry.services import require_registry_manager, training_record

        expert = self.get_object()
        require_registry_manager(request.user, expert)
        body = s.TrainingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        training_record(acting_user=request.user, expert=expert, **body.validated_data)
        return Response(body.data, status=status.HTTP_201_CREATED)
