from __future__ import annotations

from typing import cast

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

    def __init__(self, *args, regions=(), agencies=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [("", _("All regions"))] + [
            (r.code, r.name) for r in regions
        ]
        cast(forms.ChoiceField, self.fields["agency"]).choices = [("", _("All agencies"))] + [
            (a.code, a.name) for a in agencies
        ]


class RegistryImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[(name, name) for name in KINDS],
    )
    file = forms.FileField(label=_("CSV file (UTF-8)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class CameraProposalForm(forms.Form):
    """The facility's head or duty officer proposes a camera change (never applies it)."""

    code = forms.RegexField(label=_("Camera code"), regex=r"^[A-Z0-9][A-Z0-9_-]{0,39}$",
                            max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    rooms = forms.MultipleChoiceField(label=_("Rooms covered"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    recorder = forms.ChoiceField(label=_("Recorder"), required=False)
    is_active = forms.BooleanField(label=_("In service"), required=False, initial=True)

    def __init__(self, *args, facility: Facility, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["rooms"]).choices = [
            (room.code, f"{room.code} {room.local_name}") for room in facility.rooms.all()]
        cast(forms.ChoiceField, self.fields["recorder"]).choices = [("", "—")] + [
            (recorder.code, recorder.code) for recorder in facility.recorders.all()]


class CameraDecisionForm(forms.Form):
    change = forms.IntegerField(widget=forms.HiddenInput)
    approve = forms.TypedChoiceField(
        label=_("Decision"), coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        choices=[("yes", _("Approve: the change takes effect")), ("no", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), max_length=300)


class MarkerCheckForm(forms.Form):
    facility = forms.CharField(label=_("Facility code"), max_length=40)
    room = forms.CharField(label=_("Room code"), max_length=40)
    code = forms.CharField(label=_("Check code"), max_length=12)
