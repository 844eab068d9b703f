"""`Authorization: Token <key>` for the API, against the hashed keys of limpia.accounts."""

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from limpia.accounts import services


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # another scheme, or none: the next authentication class decides
        try:
            key = parts[1].decode() if len(parts) == 2 else ""
        except UnicodeError:
            key = ""
        if not key:
            raise AuthenticationFailed(
                _("Send the token as 'Authorization: Token <key>'."), code="invalid_token"
            )
        token = services.api_token_find(key)
        if token is None:
            raise AuthenticationFailed(_("Unknown token."), code="invalid_token")
        if token.revoked_at is not None:
            raise AuthenticationFailed(_("This token was revoked."), code="token_revoked")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise AuthenticationFailed(_("This token has expired."), code="token_expired")
        if not token.user.is_active:
            raise AuthenticationFailed(_("This account is disabled."), code="user_inactive")
        services.api_token_mark_used(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
