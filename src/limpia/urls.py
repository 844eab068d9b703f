from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

# Unknown paths under /api/ answer JSON (pages keep the HTML 404).
handler404 = "limpia.api.errors.page_not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("limpia.exchange.urls")),
    path("api/v1/", include("limpia.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("limpia.accounts.urls")),
    path("", include("limpia.web.urls")),
    path("", include("limpia.web.agreement_urls")),
    path("", include("limpia.web.network_urls")),
    path("work/", include("limpia.web.workbench_urls")),
    path("work/network/", include("limpia.web.network_workbench_urls")),
    path("imports/", include("limpia.web.import_urls")),
    path("", include("limpia.reports.urls")),
    path("", include("limpia.knowledge.urls")),
]

handler400 = "limpia.web.limits.bad_request"  # input limits refused with their message
