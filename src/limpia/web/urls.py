from django.urls import path

from limpia.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/<slug:slug>/", views.plan_detail, name="plan"),
    path("plans/<slug:slug>/nodes/<str:code>/", views.node_detail, name="node"),
    path("plans/<slug:slug>/indicators/<str:code>/", views.indicator_detail, name="indicator"),
    path(
        "plans/<slug:slug>/indicators/<str:code>/chart.svg",
        views.indicator_chart_svg,
        name="indicator_chart",
    ),
    path(
        "plans/<slug:slug>/indicators/<str:code>/measurements/new/",
        views.measurement_new,
        name="measurement_new",
    ),
    path("measurements/<int:pk>/", views.measurement_detail, name="measurement"),
    path("measurements/<int:pk>/edit/", views.measurement_edit, name="measurement_edit"),
    path("workspace/", views.workspace, name="workspace"),
    path("deleted/", views.deleted_list, name="deleted"),
    path("deleted/restore/", views.deleted_restore, name="deleted_restore"),
    path(
        "workspace/measurements/<int:pk>/<str:verb>/",
        views.measurement_action,
        name="measurement_action",
    ),
]
