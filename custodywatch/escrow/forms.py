"""The body-worn camera registry's form: hand a camera to an officer for a shift."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from custodywatch.registry.models import Camera


class BodyCameraAssignForm(forms.Form):
    camera = forms.ModelChoiceField(label=_("Body-worn camera"), queryset=Camera.objects.none())
    personnel_number = forms.CharField(label=_("Personnel number"), max_length=40)
    full_name = forms.CharField(label=_("Officer's full name"), max_length=200)
    started_at = forms.DateTimeField(
        label=_("Shift starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ended_at = forms.DateTimeField(
        label=_("Shift ends"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty: until the camera is handed on or taken back."))

    def __init__(self, *args: Any, cameras: QuerySet[Camera], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["camera"]).queryset = cameras
