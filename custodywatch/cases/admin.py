from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from custodywatch.accounts.admin_audit import AuditedAdmin
from custodywatch.cases.models import CrisisCentre, SupportKind


class CrisisCentreForm(forms.ModelForm):
    services = forms.MultipleChoiceField(label=_("services offered"),
                                         choices=SupportKind.choices,
                                         widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = CrisisCentre
        fields = ["name", "region", "services", "address", "phone", "email", "contact_person",
                  "response_days", "is_active"]


@admin.register(CrisisCentre)
class CrisisCentreAdmin(AuditedAdmin):
    form = CrisisCentreForm
    list_display = ["name", "region", "phone", "email", "response_days", "is_active"]
    list_filter = ["region", "is_active"]
    search_fields = ["name"]
