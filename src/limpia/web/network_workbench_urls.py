"""The network's back office (a body's secretariat, responsible organizations), under
"work/network/"."""

from django.urls import path

from limpia.web import network_workbench_views as views

app_name = "network_work"
urlpatterns = [
    path("", views.home, name="home"),
    path("bodies/<slug:key>/", views.body, name="body"),
    path("bodies/<slug:key>/edit/", views.body_edit, name="body_edit"),
    path("bodies/<slug:key>/bodies/new/", views.body_new, name="body_new"),
    path("bodies/<slug:key>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("bodies/<slug:key>/commitments/new/", views.commitment_new, name="commitment_new"),
    path("bodies/<slug:key>/memberships/new/", views.membership_new, name="membership_new"),
    path("bodies/<slug:key>/focal-points/", views.focal_point, name="focal_point"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/decisions/new/", views.decision_new, name="decision_new"),
    path("decisions/<int:pk>/edit/", views.decision_edit, name="decision_edit"),
    path("commitments/<int:pk>/edit/", views.commitment_edit, name="commitment_edit"),
    path("commitments/<int:pk>/update/", views.update_new, name="update_new"),
    path("memberships/<int:pk>/end/", views.membership_end, name="membership_end"),
    path("updates/<int:pk>/edit/", views.update_edit, name="update_edit"),
    path("updates/<int:pk>/approve/", views.update_approve, name="update_approve"),
    path("updates/<int:pk>/return/", views.update_return, name="update_return"),
]
