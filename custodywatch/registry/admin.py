from django.contrib import admin

from custodywatch.accounts.admin_audit import AuditedAdmin
from custodywatch.registry.models import (
    Agency,
    Camera,
    Facility,
    HeadAppointment,
    Recorder,
    Region,
    Room,
)


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name_en", "name_ru", "name_kk", "kind"]
    search_fields = ["code", "name_en", "name_ru", "name_kk"]


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ["code", "name_en", "kind"]
    search_fields = ["code", "name_en", "name_ru", "name_kk"]


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


class HeadAppointmentInline(admin.TabularInline):
    model = HeadAppointment
    extra = 0


@admin.register(Facility)
class FacilityAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "region", "agency", "is_active"]
    list_filter = ["kind", "region", "agency", "is_active"]
    search_fields = ["code", "name", "address"]
    inlines = [RoomInline, HeadAppointmentInline]
    list_select_related = ["region", "agency"]


@admin.register(Room)
class RoomAdmin(AuditedAdmin):
    list_display = ["facility", "code", "name", "kind", "custody_use"]
    list_filter = ["kind", "custody_use"]
    search_fields = ["code", "name", "facility__code"]
    autocomplete_fields = ["facility"]
    list_select_related = ["facility"]


@admin.register(Recorder)
class RecorderAdmin(AuditedAdmin):
    list_display = ["facility", "code", "model", "storage_days"]
    search_fields = ["code", "facility__code"]
    autocomplete_fields = ["facility"]


@admin.register(Camera)
class CameraAdmin(AuditedAdmin):
    list_display = ["facility", "code", "name", "recorder", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "facility__code"]
    autocomplete_fields = ["facility", "rooms", "recorder"]
    list_select_related = ["facility", "recorder"]


@admin.register(HeadAppointment)
class HeadAppointmentAdmin(AuditedAdmin):
    list_display = ["facility", "full_name", "officer", "position", "started_on", "ended_on"]
    search_fields = ["full_name", "facility__code"]
    autocomplete_fields = ["facility"]
    raw_id_fields = ["officer"]
