"""The plan workbook import pages: upload → preview → confirm (included under "imports/")."""

from django.urls import path

from limpia.web import import_views as views

app_name = "imports"
urlpatterns = [
    path("plan/", views.plan_upload, name="plan"),
    path("plan/confirm/", views.plan_confirm, name="plan_confirm"),
    path("plan/template.xlsx", views.plan_template, name="plan_template"),
]
