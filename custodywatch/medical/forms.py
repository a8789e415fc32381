"""Forms of the independent medical examination: they parse input; the services judge it."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from custodywatch.cases import body
from custodywatch.cases.models import Consistency
from custodywatch.custody.forms import moment_field
from custodywatch.custody.models import Injury as CheckInjury
from custodywatch.medical.models import Consent, Death, Occasion, View

YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]
MAX_ROWS = 40


class ExaminationForm(forms.Form):
    occasion = forms.ChoiceField(label=_("Occasion"), choices=Occasion.choices)
    examined_at = moment_field(_("Examined at"))
    in_private = forms.ChoiceField(
        label=_("Examined in private (no staff within hearing or sight)"), choices=YES_NO)
    consent = forms.ChoiceField(label=_("Consent"), choices=Consent.choices,
                                widget=forms.RadioSelect)
    no_injuries = forms.BooleanField(label=_("No injuries found"), required=False)
    declared_ill_treatment = forms.BooleanField(
        label=_("The person declares ill-treatment"), required=False)
    person_account = forms.CharField(label=_("The person's own account, in their words"),
                                     required=False, widget=forms.Textarea(attrs={"rows": 4}))
    doctor_allegation = forms.BooleanField(
        label=_("I record an allegation of ill-treatment (the doctor's own)"), required=False)
    consistency = forms.ChoiceField(
        label=_("Consistency of the injuries with the person's account"),
        choices=[("", "—"), *Consistency.choices], required=False)
    opinion = forms.CharField(label=_("The doctor's opinion"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["in_private"] = {"yes": True, "no": False}.get(data["in_private"])
        return data


class InjuryForm(forms.Form):
    view = forms.ChoiceField(label=_("View"), choices=[("", "—"), *View.choices],
                             required=False)
    body_region = forms.ChoiceField(label=_("Body region"), required=False, choices=[])
    kind = forms.ChoiceField(label=_("Type"), choices=[("", "—"), *CheckInjury.Kind.choices],
                             required=False)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 1}))
    x = forms.FloatField(required=False, widget=forms.HiddenInput)
    y = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["body_region"]).choices = [
            ("", "—"), *body.region_choices()]

    def injury(self) -> dict | None:
        """The row's injury; None for a row left empty."""
        data = self.cleaned_data
        if not any(data.get(name) for name in ("view", "body_region", "kind", "description")):
            return None
        return {name: data.get(name) for name in ("view", "body_region", "kind",
                                                   "description", "x", "y")}


InjuryFormSet = forms.formset_factory(InjuryForm, extra=6, max_num=MAX_ROWS,
                                      absolute_max=MAX_ROWS)


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photograph (JPEG or PNG)"))
    injury = forms.TypedChoiceField(label=_("Injury shown"), required=False, coerce=int,
                                    empty_value=None, choices=[])


class DeathForm(forms.Form):
    autopsy_at = moment_field(_("Autopsy"), required=False)
    autopsy_by = forms.CharField(label=_("Autopsy by"), max_length=200, required=False)
    cause = forms.CharField(label=_("Cause of death"), max_length=300, required=False)
    manner = forms.ChoiceField(label=_("Manner of death"), choices=Death.Manner.choices)
    relatives_informed_at = moment_field(_("Relatives informed"), required=False)
    relatives_informed = forms.CharField(label=_("Who was informed"), max_length=200,
                                         required=False)
