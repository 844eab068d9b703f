from django.urls import path

from limpia.accounts import views

app_name = "accounts"
urlpatterns = [
    path("workspace/tokens/", views.tokens, name="tokens"),
    path("workspace/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/two-factor/remove/", views.two_factor_remove, name="two_factor_remove"),
    path("accounts/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
]
