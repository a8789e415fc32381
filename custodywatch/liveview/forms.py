"""Forms of the live view: naming a viewer (staff) and typing a code (viewers)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

# One helper for every page (issue 26 item 3), named here for the views that import it.
from custodywatch.core.actions import add_service_errors as add_service_errors
from custodywatch.liveview.models import Relationship
from custodywatch.registry.models import Facility


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


class WatchRequestForm(forms.Form):
    """A relative or lawyer asks to watch a person's interrogations (public or operator)."""

    requester_name = forms.CharField(label=_("Your full name"), max_length=200)
    relationship = forms.ChoiceField(label=_("Relationship to the person held"),
                                     choices=[("", "—"), *Relationship.choices])
    contact = forms.CharField(label=_("Telephone or e-mail, to check your identity"),
                              max_length=300)
    person_name = forms.CharField(label=_("Full name of the person held"), max_length=200)
    facility = forms.ModelChoiceField(label=_("Where the person is held, if you know"),
                                      queryset=Facility.objects.none(), required=False,
                                      empty_label=_("— I do not know —"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = (
            Facility.objects.filter(is_active=True).order_by("code"))


class IdentityCheckForm(forms.Form):
    custody_record = forms.IntegerField(label=_("Custody record number of the person"),
                                        min_value=1)
    document = forms.CharField(label=_("Identity document checked (kind and number)"),
                               max_length=200)


class WatchDecisionForm(forms.Form):
    note = forms.CharField(label=_("Reason (required for a refusal)"), max_length=500,
                           required=False)


class WatchOfferForm(forms.Form):
    interrogation = forms.IntegerField(widget=forms.HiddenInput)
