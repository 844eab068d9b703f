from django.urls import path, register_converter

from limpia.reports import views


class SemesterConverter:
    """A semester as the bulletin names it: 2026-S1 or 2026-S2."""

    regex = r"[0-9]{4}-S[12]"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SemesterConverter, "semester")

app_name = "reports"
urlpatterns = [
    path("plans/<slug:slug>/report.pdf", views.plan_report, name="plan_report"),
    path("agreements/<slug:slug>/report.pdf", views.agreement_report, name="agreement_report"),
    path(
        "agreements/<slug:slug>/report-annex.xlsx",
        views.agreement_annex,
        name="agreement_annex",
    ),
    path("bulletins/", views.bulletin_list, name="bulletins"),
    path("bulletins/<semester:period>/", views.bulletin_detail, name="bulletin"),
    path("bulletins/<semester:period>.pdf", views.bulletin_download, name="bulletin_pdf"),
]
