"""The agreements back office, included under "work/"."""

from django.urls import path

from limpia.web import workbench_views as views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("agreements/<slug:slug>/", views.agreement_work, name="agreement"),
    path("agreements/<slug:slug>/stage/", views.stage, name="stage"),
    path("agreements/<slug:slug>/extend/", views.extend, name="extend"),
    path("agreements/<slug:slug>/adhesions/new/", views.adhesion_new, name="adhesion_new"),
    path("agreements/<slug:slug>/audits/new/", views.audit_new, name="audit_new"),
    path(
        "agreements/<slug:slug>/audits/<int:pk>/validate/",
        views.audit_validate,
        name="audit_validate",
    ),
    path(
        "agreements/<slug:slug>/consultations/new/",
        views.consultation_new,
        name="consultation_new",
    ),
    path("agreements/<slug:slug>/certificates/new/", views.certificate_new, name="certificate_new"),
    path("certificates/<str:code>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("facilities/<str:code>/report/<slug:slug>/", views.report, name="report"),
    path("facilities/<str:code>/report/<slug:slug>/impacts/", views.impacts, name="impacts"),
    path("facilities/<str:code>/report/<slug:slug>/withdraw/", views.withdraw, name="withdraw"),
    path("audits/<int:pk>/", views.audit, name="audit"),
    path("audits/<int:pk>/items/<str:action_code>/", views.audit_item, name="audit_item"),
    path("audits/<int:pk>/submit/", views.audit_submit, name="audit_submit"),
    path("consultations/<int:pk>/", views.consultation, name="consultation"),
]
