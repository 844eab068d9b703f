"""The network's public pages: the directory of bodies, a body, a meeting, the commitments
board, a body's iCalendar feed and its commitments as CSV or XLSX."""

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
