"""The workbook import pages (included under "imports/"): upload → check → preview → confirm."""

from django.urls import path

from limpia.web import import_views as views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<str:kind>/template.xlsx", views.template_download, name="template"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job"),
    path("jobs/<uuid:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<uuid:pk>/confirm/", views.job_confirm, name="job_confirm"),
    path("jobs/<uuid:pk>/retry/", views.job_retry, name="job_retry"),
    path("jobs/<uuid:pk>/discard/", views.job_discard, name="job_discard"),
    path("<str:kind>/", views.upload, name="upload"),
]
