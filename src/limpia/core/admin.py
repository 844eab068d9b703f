from django.contrib import admin
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from limpia.core.models import Country, Organization, Sector, Subdivision, Subregion
from limpia.core.services import organization_save


@admin.register(Organization)
class OrganizationAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ["name", "acronym", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "acronym", "key"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        organization_save(acting_user=request.user, organization=obj, reason="admin")


@admin.register(Country)
class CountryAdmin(ObjectPermissionsModelAdmin):
    list_display = ["code", "name_es", "name_en"]
    search_fields = ["code", "name_es", "name_en"]


@admin.register(Subdivision)
class SubdivisionAdmin(ObjectPermissionsModelAdmin):
    list_display = ["code", "name", "type", "country"]
    list_filter = ["country"]
    search_fields = ["code", "name"]


@admin.register(Subregion)
class SubregionAdmin(ObjectPermissionsModelAdmin):
    list_display = ["key", "name_es"]
    filter_horizontal = ["countries"]


@admin.register(Sector)
class SectorAdmin(ObjectPermissionsModelAdmin):
    list_display = ["code", "level", "name_es", "name_en"]
    list_filter = ["level"]
    search_fields = ["code", "name_es", "name_en"]
