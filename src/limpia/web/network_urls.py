"""Public pages of the network (bodies, meetings, commitments); included at the site root.

The fixed paths come before `network/<key>/`: a body cannot be keyed "commitments" or
"meetings"."""

from django.urls import path

from limpia.web import network_views as views

app_name = "network"
urlpatterns = [
    path("network/", views.directory, name="directory"),
    path("network/commitments/", views.commitment_board, name="commitments"),
    path("network/meetings/<int:pk>/", views.meeting_page, name="meeting"),
    path("network/<slug:key>/", views.body_detail, name="body"),
    path("network/<slug:key>/calendar.ics", views.calendar_feed, name="calendar"),
    path(
        "network/<slug:key>/commitments.<str:fmt>",
        views.commitments_export,
        name="commitments_export",
    ),
]
