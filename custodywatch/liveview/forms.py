"""Forms of the live view: naming a viewer (staff) and typing a code (viewers)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# One helper for every page (issue 26 item 3), named here for the views that import it.
from custodywatch.core.actions import add_service_errors as add_service_errors
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
