from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from limpia.accounts import api as accounts
from limpia.api import agreements, views
from limpia.api.schema import SwaggerUIView
from limpia.cooperation import api as cooperation
from limpia.knowledge.api import DocumentViewSet
from limpia.network import api as network

router = DefaultRouter()
router.register("plans", views.PlanViewSet, basename="plan")
router.register("nodes", views.NodeViewSet, basename="node")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("targets", views.TargetViewSet, basename="target")
router.register("measurements", views.MeasurementViewSet, basename="measurement")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("countries", views.CountryViewSet, basename="country")
router.register("subdivisions", views.SubdivisionViewSet, basename="subdivision")
router.register("subregions", views.SubregionViewSet, basename="subregion")
router.register("sectors", views.SectorViewSet, basename="sector")
router.register("agreements", agreements.AgreementViewSet, basename="agreement")
router.register("companies", agreements.CompanyViewSet, basename="company")
router.register("facilities", agreements.FacilityViewSet, basename="facility")
router.register("adhesions", agreements.AdhesionViewSet, basename="adhesion")
router.register("audits", agreements.AuditViewSet, basename="audit")
router.register("consultations", agreements.ConsultationViewSet, basename="consultation")
router.register("certificates", agreements.CertificateViewSet, basename="certificate")
router.register("impacts", agreements.ImpactViewSet, basename="impact")
router.register("registry", agreements.ExpertViewSet, basename="expert")
router.register(
    "registry-applications", agreements.ApplicationViewSet, basename="registry-application"
)
router.register("experts", agreements.ExpertDeclarationsViewSet, basename="expert-declaration")
router.register("documents", DocumentViewSet, basename="document")
router.register("cooperation/needs", cooperation.NeedViewSet, basename="cooperation-need")
router.register("cooperation/offers", cooperation.OfferViewSet, basename="cooperation-offer")
router.register(
    "cooperation/programmes", cooperation.ProgrammeViewSet, basename="cooperation-programme"
)
router.register("network/bodies", network.BodyViewSet, basename="network-body")
router.register("network/memberships", network.MembershipViewSet, basename="network-membership")
router.register("network/focal-points", network.FocalPointViewSet, basename="network-focal-point")
router.register("network/meetings", network.MeetingViewSet, basename="network-meeting")
router.register("network/decisions", network.DecisionViewSet, basename="network-decision")
router.register("network/commitments", network.CommitmentViewSet, basename="network-commitment")
router.register(
    "network/commitment-updates",
    network.CommitmentUpdateViewSet,
    basename="network-commitment-update",
)
router.register("auth/tokens", accounts.ApiTokenViewSet, basename="api-token")

app_name = "api"
urlpatterns = [
    path("auth/token/", accounts.obtain_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script at docs/?script=, not inline (CSP).
    path(
        "docs/",
        SwaggerUIView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    path("", include(router.urls)),
]
