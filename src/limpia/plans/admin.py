"""Back office for plans: tree editing with inlines; every save goes through the services."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from rules.contrib.admin import ObjectPermissionsModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from limpia.access.rules import measurements_visible_to, plans_worked_on_by
from limpia.core.errors import DomainError, NotAllowed
from limpia.plans import services
from limpia.plans.models import (
    Indicator,
    Measurement,
    Node,
    NodeResponsibility,
    Plan,
    Target,
)


class ServiceSaveMixin(ObjectPermissionsModelAdminMixin):
    """Saves through `plan_element_save`, so permissions, validation and history are the same
    as in the API and the data-entry pages."""

    def save_model(self, request, obj, form, change):
        # The form already ran the model's validation (Node.clean and the rest); what the
        # service can still refuse here is permission.
        try:
            services.plan_element_save(acting_user=request.user, instance=obj, reason="admin")
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from None

    def delete_model(self, request, obj):
        try:
            services.plan_element_delete(acting_user=request.user, instance=obj)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from None

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            if obj._meta.model_name in ("node", "indicator", "target"):
                services.plan_element_delete(acting_user=request.user, instance=obj)
            else:
                obj.delete()
        for instance in instances:
            if instance._meta.model_name in ("node", "indicator", "target"):
                services.plan_element_save(
                    acting_user=request.user, instance=instance, reason="admin"
                )
            else:
                instance.save()
        formset.save_m2m()

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        plans = plans_worked_on_by(request.user, Plan.objects.all())
        field = {
            "plan": "pk__in",
            "node": "plan__in",
            "indicator": "plan__in",
            "target": "indicator__plan__in",
            "measurement": "indicator__plan__in",
        }
        return queryset.filter(**{field[self.model._meta.model_name]: plans})


class NodeInline(admin.TabularInline):
    model = Node
    fields = [
        "code",
        "normalized_code",
        "parent",
        "position",
        "title",
        "horizon",
        "due_date",
        "implementation_status",
        "weight",
    ]
    extra = 0
    show_change_link = True
    raw_id_fields = ["parent"]


class PlanIndicatorInline(admin.TabularInline):
    model = Indicator
    fields = [
        "code",
        "name",
        "kind",
        "unit",
        "measure",
        "direction",
        "baseline_value",
        "baseline_date",
        "weight",
    ]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).filter(node__isnull=True)


@admin.register(Plan)
class PlanAdmin(ServiceSaveMixin, SimpleHistoryAdmin):
    list_display = ["title", "slug", "status", "period_start", "period_end", "is_transcription"]
    list_filter = ["status", "is_transcription"]
    search_fields = ["title", "slug"]
    readonly_fields = ["status", "status_changed_at", "status_changed_by"]
    inlines = [PlanIndicatorInline, NodeInline]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["approve_plans", "archive_plans", "reopen_plans"]

    def _change_status(self, request, queryset, verb):
        changed = 0
        for plan in queryset:
            try:
                services.plan_change_status(acting_user=request.user, plan=plan, verb=verb)
                changed += 1
            except DomainError as exc:
                self.message_user(request, f"{plan}: {exc.message}", level="error")
        if changed:
            self.message_user(request, _("%(n)s plan(s) changed.") % {"n": changed})

    @admin.action(description=_("Approve the selected plans"), permissions=["approve"])
    def approve_plans(self, request, queryset):
        self._change_status(request, queryset, "approve")

    @admin.action(description=_("Archive the selected plans"), permissions=["approve"])
    def archive_plans(self, request, queryset):
        self._change_status(request, queryset, "archive")

    @admin.action(description=_("Return the selected plans to draft"), permissions=["approve"])
    def reopen_plans(self, request, queryset):
        self._change_status(request, queryset, "reopen")

    def has_approve_permission(self, request):
        return request.user.has_perm("plans.approve_plan")


class ResponsibilityInline(admin.TabularInline):
    model = NodeResponsibility
    extra = 1
    autocomplete_fields = ["organization"]


class NodeIndicatorInline(admin.StackedInline):
    model = Indicator
    fields = [
        "plan",
        "code",
        "name",
        "kind",
        "unit",
        "measure",
        "direction",
        "baseline_value",
        "baseline_date",
        "weight",
        "organization",
    ]
    extra = 0
    show_change_link = True


class ChildNodeInline(NodeInline):
    fk_name = "parent"
    fields = [
        "plan",
        "code",
        "normalized_code",
        "position",
        "title",
        "horizon",
        "due_date",
        "weight",
    ]
    raw_id_fields = []
    verbose_name_plural = "sub-elements"


@admin.register(Node)
class NodeAdmin(ServiceSaveMixin, SimpleHistoryAdmin):
    list_display = ["normalized_code", "title", "plan", "depth", "implementation_status"]
    list_filter = ["plan", "depth", "horizon", "implementation_status"]
    search_fields = ["title", "normalized_code"]
    list_select_related = ["plan"]
    raw_id_fields = ["parent"]
    readonly_fields = ["depth"]
    inlines = [ResponsibilityInline, NodeIndicatorInline, ChildNodeInline]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 1


@admin.register(Indicator)
class IndicatorAdmin(ServiceSaveMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "plan", "kind", "unit"]
    list_filter = ["plan", "kind"]
    search_fields = ["code", "name"]
    list_select_related = ["plan"]
    raw_id_fields = ["node"]
    inlines = [TargetInline]


@admin.register(Measurement)
class MeasurementAdmin(ObjectPermissionsModelAdminMixin, SimpleHistoryAdmin):
    """Read-only here: measurements change state only through the review workflow."""

    list_display = ["indicator", "date", "value", "status", "is_sample", "created_by"]
    list_filter = ["status", "is_sample", "indicator__plan"]
    list_select_related = ["indicator", "created_by"]

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        return measurements_visible_to(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
