from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from custodywatch.registry.csv_import import KINDS
from custodywatch.registry.models import Facility

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class FacilityFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.SearchInput(attrs={"placeholder": _("Name, code or address")}))
    region = forms.ChoiceField(label=_("Region"), required=False)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("All types")), *Facility.Kind.choices])

    def __init__(self, *args, regions=(), agencies=(), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All regions"))] + [
            (r.code, r.name) for r in regions
        ]
        self.fields["agency"].choices = [("", _("All agencies"))] + [
            (a.code, a.name) for a in agencies
        ]


class RegistryImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[(name, name) for name in KINDS],
    )
    file = forms.FileField(label=_("CSV file (UTF-8)"))

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload
