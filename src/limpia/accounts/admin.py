from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from limpia.accounts import services
from limpia.accounts.models import ApiToken
from limpia.core.errors import DomainError


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Administrators see everyone's tokens and revoke them; keys are made only by their owners
    (the API or My work → API tokens), so there is no "add"."""

    list_display = [
        "prefix",
        "name",
        "user",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                services.api_token_revoke(acting_user=request.user, token=token)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
