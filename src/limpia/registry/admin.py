from django.contrib import admin
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from limpia.registry.models import Application, Expert, Relation, Training


class ApplicationInline(admin.TabularInline):
    model = Application
    extra = 0
    can_delete = False
    readonly_fields = [
        "is_renewal",
        "status",
        "submitted_on",
        "decided_on",
        "valid_from",
        "valid_until",
        "observations",
    ]

    def has_add_permission(self, request, obj=None):
        return False


class RelationInline(admin.TabularInline):
    model = Relation
    extra = 0
    raw_id_fields = ["company"]


class TrainingInline(admin.TabularInline):
    model = Training
    extra = 0


@admin.register(Expert)
class ExpertAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ["auditor_id", "name", "kind", "registered_from", "registered_until"]
    list_filter = ["kind", "is_sample"]
    search_fields = ["auditor_id", "name"]
    readonly_fields = ["registered_from", "registered_until"]
    filter_horizontal = ["specialities"]
    raw_id_fields = ["user"]
    inlines = [ApplicationInline, RelationInline, TrainingInline]
