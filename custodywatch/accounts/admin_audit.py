"""Admin pages write to the audit trail like every other view: reads, changes, deletions."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.models import AuditEvent
from custodywatch.accounts.services import admin_action_record, admin_list_record


def staff_request(request: HttpRequest) -> AuthedRequest:
    """Django's admin types its request HttpRequest; every admin page is behind the admin
    site's staff sign-in and the middlewares: request.user is a User, request.origin set."""
    return cast(AuthedRequest, request)


class AuditedAdmin(admin.ModelAdmin):
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        admin_action_record(user=staff_request(request).user,
                            origin=staff_request(request).origin,
                            action=AuditEvent.Action.CREATE, obj=obj, message=message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        admin_action_record(user=staff_request(request).user,
                            origin=staff_request(request).origin,
                            action=AuditEvent.Action.UPDATE, obj=obj, message=message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            admin_action_record(user=staff_request(request).user,
                                origin=staff_request(request).origin,
                                action=AuditEvent.Action.DELETE, obj=obj)
        return super().log_deletions(request, queryset)

    def _record_object_read(self, request: HttpRequest, object_id: str,
                            response: HttpResponse, page: str) -> None:
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                admin_action_record(user=staff_request(request).user,
                                    origin=staff_request(request).origin,
                                    action=AuditEvent.Action.READ, obj=obj, message=page)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self._record_object_read(request, object_id, response, "change")
        return response

    def history_view(self, request: HttpRequest, object_id: str,
                     extra_context: dict | None = None) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        self._record_object_read(request, object_id, response, "history")
        return response

    def delete_view(self, request: HttpRequest, object_id: str,
                    extra_context: dict | None = None) -> HttpResponse:
        response = super().delete_view(request, object_id, extra_context)
        self._record_object_read(request, object_id, response, "delete confirmation")
        return response

    def changelist_view(self, request: HttpRequest,
                        extra_context: dict | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            admin_list_record(user=staff_request(request).user,
                              origin=staff_request(request).origin,
                              model=self.model, query=request.GET.urlencode())
        return response


def audit_every_admin(site: admin.AdminSite) -> None:
    """Models registered by other packages (django-otp, django-axes, auth's groups) get the
    same audited admin: every read and change of the admin site reaches the audit trail."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdmin):
            continue
        audited = type(f"Audited{type(model_admin).__name__}",
                       (AuditedAdmin, type(model_admin)), {})
        site.unregister(model)
        site.register(model, audited)
