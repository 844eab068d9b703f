"""Exchange endpoints, included under /api/v1/."""

from django.urls import path

from limpia.exchange import api

app_name = "exchange"
urlpatterns = [
    path("plans/<slug:slug>/iati.xml", api.iati_view, name="plan-iati"),
    path("plans/<slug:slug>/opensdg.zip", api.opensdg_view, name="plan-opensdg"),
    path(
        "plans/<slug:slug>/indicators/<str:code>/opensdg.csv",
        api.opensdg_indicator_view,
        name="indicator-opensdg",
    ),
    path("exports/certificates.<str:fmt>", api.certificates_file_view, name="certificates-file"),
    path("exports/registry.<str:fmt>", api.registry_file_view, name="registry-file"),
]

from limpia.exchange import import_api  # noqa: E402

urlpatterns += [
    path("imports/plan/", import_api.plan_import_view, name="import-plan"),
    path("imports/plan/template.xlsx", import_api.plan_template_view, name="import-plan-template"),
    path("imports/agreement/", import_api.agreement_import_view, name="import-agreement"),
    path(
        "imports/agreement/template.xlsx",
        import_api.agreement_template_view,
        name="import-agreement-template",
    ),
    path("imports/jobs/", import_api.job_list_view, name="import-jobs"),
    path("imports/jobs/<uuid:pk>/", import_api.job_detail_view, name="import-job"),
    path("imports/jobs/<uuid:pk>/confirm/", import_api.job_confirm_view, name="import-job-confirm"),
]
