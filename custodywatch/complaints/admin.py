"""Complaints in the admin: read-only, and scoped by the same rule as every other read.

Even a superuser sees only the complaints selectors.complaints_q grants: a system
administrator runs the system, they do not read complaints; facility staff never.
The sealed identity and the receipt hash are not shown at all.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from custodywatch.accounts.admin_audit import AuditedAdmin, staff_request
from custodywatch.complaints.models import Complaint, LegalHold
from custodywatch.complaints.selectors import complaints_q


class ScopedReadOnlyAdmin(AuditedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(ScopedReadOnlyAdmin):
    list_display = ["reference", "received_at", "channel", "category", "urgency", "region",
                    "status"]
    list_filter = ["channel", "category", "status", "urgency"]
    search_fields = ["reference"]
    fields = ["reference", "channel", "received_at", "facility", "region", "category",
              "suggested_category", "urgency", "handling_body", "handler", "status",
              "registration_due_at", "answer_due_at", "answered_at", "is_anonymous"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Complaint]:
        return super().get_queryset(request).filter(
            complaints_q(staff_request(request).user)).select_related("region")


@admin.register(LegalHold)
class LegalHoldAdmin(ScopedReadOnlyAdmin):
    list_display = ["id", "facility", "starts_at", "ends_at", "status"]
    list_filter = ["status"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LegalHold]:
        return super().get_queryset(request).filter(
            complaint__in=Complaint.objects.filter(complaints_q(staff_request(request).user)))
