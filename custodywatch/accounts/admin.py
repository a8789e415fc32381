from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from custodywatch.accounts.admin_audit import AuditedAdmin
from custodywatch.accounts.models import AuditEvent, MachineToken, User


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "scope", "region", "facility",
                    "is_active"]
    list_filter = ["role", "scope", "is_active", "region"]
    autocomplete_fields = ["facility"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ("role", "scope", "region", "facility", "time_zone",
                                          "language")}),
    )


@admin.register(MachineToken)
class MachineTokenAdmin(AuditedAdmin):
    list_display = ["prefix", "user", "facility", "name", "created_at", "last_used_at",
                    "revoked_at"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]
    autocomplete_fields = ["facility", "user"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # tokens are made with `custodywatch token create`, which shows them once


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_label", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_label", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
