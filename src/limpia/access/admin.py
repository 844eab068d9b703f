from django.contrib import admin

from limpia.access.models import RoleAssignment


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "plan", "organization", "created_at"]
    list_filter = ["role"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["organization"]
