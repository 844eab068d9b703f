"""Back office for agreements: registers every model; state changes go through the workbench
pages and the API (the services), so workflow fields are read-only here."""

from django.contrib import admin
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    AgreementDocument,
    Audit,
    AuditItem,
    Certificate,
    Company,
    Consultation,
    ConsultationAnswer,
    Extension,
    Facility,
    FollowUpItem,
    FollowUpReport,
    Goal,
    Impact,
    Signatory,
    StageChange,
)


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0
    autocomplete_fields = ["organization"]


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0
    show_change_link = True


class DocumentInline(admin.TabularInline):
    model = AgreementDocument
    extra = 0


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "changed_at", "changed_by", "comment", "imported"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ["code", "name", "country", "stage", "signing_date", "is_sample"]
    list_filter = ["stage", "country", "is_sample"]
    search_fields = ["code", "name"]
    readonly_fields = ["stage", "implementation_end_override"]
    filter_horizontal = ["sectors"]
    autocomplete_fields = ["subdivisions"]
    inlines = [SignatoryInline, GoalInline, DocumentInline, StageChangeInline]


class ActionInline(admin.StackedInline):
    model = Action
    extra = 0


@admin.register(Goal)
class GoalAdmin(ObjectPermissionsModelAdmin):
    list_display = ["code", "title", "agreement"]
    list_filter = ["agreement"]
    inlines = [ActionInline]


@admin.register(Company)
class CompanyAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ["name", "tax_id", "country", "size", "is_sample"]
    list_filter = ["size", "country", "is_sample"]
    search_fields = ["name", "tax_id"]
    readonly_fields = ["tax_id"]


@admin.register(Facility)
class FacilityAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ["code", "name", "company", "subdivision"]
    search_fields = ["code", "name", "company__name"]
    list_select_related = ["company", "subdivision"]
    raw_id_fields = ["company"]


class ReadOnlyAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Records changed only through the services (workbench pages and API); their history (who,
    when, from where) is listed in the back office."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Adhesion)
class AdhesionAdmin(ReadOnlyAdmin):
    list_display = ["facility", "agreement", "adhered_on", "withdrawn_on"]
    list_filter = ["agreement"]
    list_select_related = ["facility", "agreement"]


class AuditItemInline(admin.TabularInline):
    model = AuditItem
    extra = 0
    can_delete = False
    readonly_fields = ["action", "applies", "reason", "complies", "evidence", "observation"]


@admin.register(Audit)
class AuditAdmin(ReadOnlyAdmin):
    list_display = ["facility", "agreement", "audit_type", "audit_date", "status", "auditor"]
    list_filter = ["audit_type", "status", "agreement"]
    list_select_related = ["facility", "agreement", "auditor"]
    inlines = [AuditItemInline]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["code", "facility", "agreement", "issued_on", "valid_until", "revoked_on"]
    list_filter = ["agreement"]
    search_fields = ["code"]
    list_select_related = ["facility", "agreement"]


class AnswerInline(admin.TabularInline):
    model = ConsultationAnswer
    extra = 0
    can_delete = False
    readonly_fields = ["signatory", "answered_on", "objects_to", "reason", "answered_by"]


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ["facility", "agreement", "consulted_on"]
    inlines = [AnswerInline]


@admin.register(Impact)
class ImpactAdmin(ReadOnlyAdmin):
    list_display = ["facility", "agreement", "metric", "year", "value", "unit"]
    list_filter = ["metric", "year"]


class FollowUpItemInline(admin.TabularInline):
    model = FollowUpItem
    extra = 0
    can_delete = False
    readonly_fields = ["action", "status", "evidence_url", "comment"]


@admin.register(FollowUpReport)
class FollowUpReportAdmin(ReadOnlyAdmin):
    list_display = ["adhesion", "kind", "period_end", "submitted_at"]
    list_filter = ["kind"]
    inlines = [FollowUpItemInline]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["agreement", "previous_end", "new_end", "granted_at", "granted_by"]
