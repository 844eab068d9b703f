"""Public pages of Clean Production Agreements; included at the site root."""

from django.urls import path

from limpia.web import agreement_views as views
from limpia.web.dashboard_views import agreements_dashboard

app_name = "agreements_web"
urlpatterns = [
    path("agreements/", views.agreement_list, name="list"),
    path("agreements/dashboard/", agreements_dashboard, name="dashboard"),
    path("agreements/<slug:slug>/", views.agreement_detail, name="detail"),
    path("agreements/<slug:slug>/compliance.svg", views.compliance_svg, name="compliance_chart"),
    path("certificates/", views.certificate_list, name="certificates"),
    path("certificates/<str:code>.pdf", views.certificate_pdf_view, name="certificate_pdf"),
    path("registry/", views.registry, name="registry"),
    path("registry/export.<str:fmt>", views.registry_export, name="registry_export"),
    path("certificates/export.<str:fmt>", views.certificate_export, name="certificates_export"),
    path("verify/", views.verify_form, name="verify"),
    path("verify/<str:code>/", views.verify_code, name="verify_code"),
]
