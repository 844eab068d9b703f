from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "limpia.accounts"
    label = "accounts"
    verbose_name = _("Accounts and sign-in")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from limpia.accounts import schema  # noqa: F401  registers the token scheme in OpenAPI
        from limpia.accounts.second_factor import remember_second_factor

        # Every way in (the web login, the back office's, a test's force_login) ends in
        # django.contrib.auth.login, which sends this signal: one place to ask for the code.
        user_logged_in.connect(remember_second_factor, dispatch_uid="limpia_second_factor")
