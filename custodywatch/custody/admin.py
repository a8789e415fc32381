"""Lawyers' licences (issue 22, item 8): recorded by a system administrator from the Bar's
register; a lawyer's lookup needs one in force (custody/whereabouts.py)."""

from __future__ import annotations

from django.contrib import admin

from custodywatch.accounts.admin_audit import AuditedAdmin
from custodywatch.custody.models_mass import LawyerLicence


@admin.register(LawyerLicence)
class LawyerLicenceAdmin(AuditedAdmin):
    list_display = ("number", "user", "valid_until", "revoked_at")
    search_fields = ("number", "user__username", "user__last_name")
    raw_id_fields = ("user",)
