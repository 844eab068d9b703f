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
]

from limpia.exchange import import_api  # noqa: E402

urlpatterns += [
    path("imports/plan/", import_api.plan_import_view, name="import-plan"),
    path("imports/plan/template.xlsx", import_api.plan_template_view, name="import-plan-template"),
]
