"""Back office for cooperation: read-only while the writes have no service yet (needs, offers,
requests and matches are issue 13's next step); `limpia loadcooperation` writes what is loaded,
with its history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from limpia.cooperation.models import GuidingQuestion, Need, Offer, Programme


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "label", "subregion", "source_ref"]
    list_filter = ["kind", "subregion"]
    search_fields = ["key", "label", "text"]


@admin.register(GuidingQuestion)
class GuidingQuestionAdmin(ReadOnlyAdmin):
    list_display = ["number", "text", "source_ref"]


@admin.register(Need)
class NeedAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["title", "kind", "status", "country", "subregion", "node", "is_sample"]
    list_filter = ["kind", "status", "subregion", "is_sample"]
    list_select_related = ["country", "subregion", "node"]
    search_fields = ["title", "description", "key"]


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["title", "provider", "kind", "valid_from", "valid_until", "is_sample"]
    list_filter = ["kind", "is_sample"]
    list_select_related = ["provider"]
    search_fields = ["title", "description", "provider__name"]
