"""Forms of the live view: naming a viewer (staff) and typing a code (viewers)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from custodywatch.liveview.models import Relationship


class ViewerForm(forms.Form):
    interrogation = forms.IntegerField(widget=forms.HiddenInput)
    full_name = forms.CharField(label=_("Viewer's full name"), max_length=200)
    relationship = forms.ChoiceField(label=_("Relationship"),
                                     choices=[("", "—"), *Relationship.choices])


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Viewing code"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "autocapitalize": "characters",
                                                         "spellcheck": "false"}))


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal shown beside the field it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
