"""Back office for the network; every save goes through network.services, so permissions,
validation and history are the same as in the workbench and the API."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from limpia.core.errors import DomainError, NotAllowed
from limpia.network import services
from limpia.network.models import (
    AgendaItem,
    Body,
    Commitment,
    CommitmentUpdate,
    Decision,
    FocalPoint,
    Meeting,
    Membership,
    Participation,
)

SAVERS = {
    Body: lambda user, obj: services.body_save(acting_user=user, body=obj, reason="admin"),
    Membership: lambda user, obj: services.membership_save(
        acting_user=user, membership=obj, reason="admin"
    ),
    FocalPoint: lambda user, obj: services.focal_point_save(
        acting_user=user, focal_point=obj, reason="admin"
    ),
    Meeting: lambda user, obj: services.meeting_save(acting_user=user, meeting=obj, reason="admin"),
    Decision: lambda user, obj: services.decision_save(
        acting_user=user, decision=obj, reason="admin"
    ),
    Commitment: lambda user, obj: services.commitment_save(
        acting_user=user, commitment=obj, reason="admin"
    ),
}


class ServiceAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    def save_model(self, request, obj, form, change):
        try:
            SAVERS[type(obj)](request.user, obj)
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            # the form validated the fields; a rule across rows (a second titular, a meeting
            # before the founding) is shown and nothing is saved
            self.message_user(request, exc.message, level=messages.ERROR)
            raise PermissionDenied(exc.message) from None


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    can_delete = False
    readonly_fields = ["position", "day", "time", "title", "source_ref"]

    def has_add_permission(self, request, obj=None):
        return False


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "organization", "count", "text", "source_ref"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Body)
class BodyAdmin(ServiceAdmin):
    list_display = ["name", "kind", "scope", "country", "status", "founded_on", "is_sample"]
    list_filter = ["kind", "scope", "status", "is_sample"]
    search_fields = ["name", "acronym", "key"]
    autocomplete_fields = ["country", "subdivision", "parent", "host", "organization"]


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ["organization", "body", "role", "seat", "term_from", "term_to", "status_note"]
    list_filter = ["role", "body"]
    search_fields = ["organization__name", "seat"]
    autocomplete_fields = ["body", "organization", "elected_at"]


@admin.register(FocalPoint)
class FocalPointAdmin(ServiceAdmin):
    list_display = ["country", "body", "organization", "position", "consent_on"]
    list_filter = ["body"]
    autocomplete_fields = ["body", "country", "organization"]


@admin.register(Meeting)
class MeetingAdmin(ServiceAdmin):
    list_display = ["name", "body", "kind", "status", "starts_on", "place"]
    list_filter = ["kind", "status", "body"]
    search_fields = ["name", "place"]
    autocomplete_fields = ["body", "country"]
    filter_horizontal = ["documents"]
    inlines = [AgendaInline, ParticipationInline]


@admin.register(Decision)
class DecisionAdmin(ServiceAdmin):
    list_display = ["number", "kind", "meeting", "addressed_to"]
    list_filter = ["kind", "meeting"]
    search_fields = ["text"]
    autocomplete_fields = ["meeting", "addressed_to"]


@admin.register(Commitment)
class CommitmentAdmin(ServiceAdmin):
    list_display = ["title", "body", "rule", "status", "due_on", "every_months"]
    list_filter = ["rule", "status", "body"]
    search_fields = ["title"]
    autocomplete_fields = ["body", "decision", "responsible_body", "tracked_body"]
    filter_horizontal = ["responsible_organizations"]
    raw_id_fields = ["nodes", "indicators"]


@admin.register(CommitmentUpdate)
class CommitmentUpdateAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Updates are written and reviewed in the workbench; here they are read."""

    list_display = ["commitment", "organization", "date", "reported_status", "status"]
    list_filter = ["status", "reported_status"]
    readonly_fields = [f.name for f in CommitmentUpdate._meta.fields]

    def has_add_permission(self, request):
        return False
