from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodywatch.accounts import services
from custodywatch.accounts.admin_audit import AuditedAdmin, staff_request
from custodywatch.accounts.models import AuditEvent, MachineToken, User


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "scope", "region", "facility",
                    "is_active"]
    list_filter = ["role", "scope", "is_active", "region"]
    autocomplete_fields = ["facility"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Role and scope"), {"fields": ("role", "scope", "region", "facility", "time_zone",
                                          "language", "organisation")}),
    )
    actions = ["reset_second_factor"]

    @admin.action(description=_("Reset the second factor (the person enrols a new device)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        staff = staff_request(request)
        for user in queryset:
            services.totp_reset(acting_user=staff.user, origin=staff.origin, user=user)
        count = queryset.count()
        self.message_user(request, ngettext(
            "The second factor of %(count)d person was reset.",
            "The second factor of %(count)d people was reset.", count) % {"count": count},
            messages.SUCCESS)


@admin.register(MachineToken)
class MachineTokenAdmin(AuditedAdmin):
    list_display = ["prefix", "user", "facility", "name", "created_at", "last_used_at",
                    "revoked_at"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]
    autocomplete_fields = ["facility", "user"]

    def has_add_permission(self, request):
        return False  # tokens are made with `custodywatch token create`, which shows them once


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(AuditedAdmin):
    """Which devices a person has, never their secret: no key, no QR code, no configuration
    page (django-otp's own admin shows them). Deleting one is an audited reset."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = readonly_fields = ("user", "name", "confirmed", "created_at", "last_used_at",
                                "throttling_failure_count", "throttling_failure_timestamp")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a device is enrolled by its owner, who alone sees the secret

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_label", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_label", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
