"""The API's sign-in: exchange a password (and a code, with two-factor sign-in) for a token;
list and revoke your tokens."""

import datetime as dt

from axes.utils import reset as axes_reset
from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from limpia.accounts import lockout, services
from limpia.accounts.models import ApiToken, TokenStatus
from limpia.accounts.second_factor import confirmed_device, enrolment_required
from limpia.core.errors import DomainError


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)  # as long as a username can be
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=12,
        help_text="The code of your authenticator app, if your account uses two-factor sign-in.",
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="A label to recognise the token by, e.g. the script that uses it.",
    )
    expires_in_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=3650
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=TokenStatus.choices, read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "status",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ]
        read_only_fields = fields


class NewTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        source="key", help_text="The key: shown this once, stored nowhere."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = ["token", *ApiTokenSerializer.Meta.fields]
        read_only_fields = fields


def _check_second_factor(user, code: str) -> None:
    """A password alone must not open the API to an account that has a second factor."""
    device = confirmed_device(user)
    if device is not None:
        if not code:
            raise DomainError(
                _(
                    "This account uses two-factor sign-in: send the code of your "
                    "authenticator app as otp."
                ),
                field="otp",
                code="otp_required",
            )
        try:
            services.totp_code_check(device, code)
        except DomainError as exc:
            raise DomainError(exc.message, field="otp", code=exc.code) from None
    elif enrolment_required(user):
        raise PermissionDenied(
            _("Set up two-factor sign-in on the web before asking for a token."),
            code="second_factor_required",
        )


@extend_schema(
    request=TokenRequestSerializer,
    responses={
        200: NewTokenSerializer,
        429: OpenApiResponse(
            description="Locked out: too many failed logins with this username from this "
            "address (`code` `locked_out`; `Retry-After` says for how many seconds at most)"
        ),
    },
    auth=[],
)
@api_view(["POST"])
@permission_classes([AllowAny])
def obtain_token(request):
    """Exchange a username and password for a new API token (send it as
    `Authorization: Token …`). Each call creates another token; the key is shown only here."""
    body = TokenRequestSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    # django-axes counts failures on Django's request (not DRF's wrapper), where its middleware
    # looks for the lockout flag.
    http_request = request._request
    user = authenticate(http_request, username=data["username"], password=data["password"])
    if getattr(http_request, "axes_locked_out", False):
        return Response(
            lockout.lockout_body(),
            status=lockout.LOCKED_OUT_STATUS,
            headers={"Retry-After": lockout.retry_after()},
        )
    if user is None or not user.is_active:
        raise ValidationError({"password": [_("Unknown username or wrong password.")]})
    _check_second_factor(user, data.get("otp", ""))
    axes_reset(ip=getattr(http_request, "axes_ip_address", None), username=user.get_username())
    days = data.get("expires_in_days")
    token, key = services.api_token_create(
        acting_user=user,
        user=user,
        name=data.get("name", ""),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    token.key = key  # for this answer only
    return Response(NewTokenSerializer(token).data)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your API tokens (never their keys), newest first; `revoke/` ends one for good."""

    queryset = ApiToken.objects.none()  # for the schema; requests get their user's own
    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return ApiToken.objects.of(self.request.user)

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.api_token_revoke(acting_user=request.user, token=self.get_object())
        return Response(ApiTokenSerializer(token).data)
