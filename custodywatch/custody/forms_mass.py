"""Forms of mass detention and of "where is he held?": they parse input; the services judge it."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from custodywatch.core import plausible
from custodywatch.custody.forms import moment_field
from custodywatch.custody.models_mass import IdentityCheck, MeasureReview
from custodywatch.registry.models import Agency, Region


class DeclareForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    region = forms.ModelChoiceField(label=_("Region (empty: the whole country)"),
                                    queryset=Region.objects.none(), required=False)
    started_at = moment_field(_("People detained since"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, regions: QuerySet[Region] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["region"]).queryset = (
            regions if regions is not None else Region.objects.none())


class PlaceForm(forms.Form):
    name = forms.CharField(label=_("Name of the place"), max_length=300)
    address = forms.CharField(label=_("Address"), max_length=300)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    agency = forms.ModelChoiceField(label=_("Agency holding the people"),
                                    queryset=Agency.objects.all())
    areas = forms.CharField(label=_("Holding areas, one a line"),
                            widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, regions: QuerySet[Region] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["region"]).queryset = (
            regions if regions is not None else Region.objects.none())

    def area_list(self) -> list[str]:
        return self.cleaned_data["areas"].splitlines()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=MeasureReview.Decision.choices)
    decided_on = forms.DateField(label=_("Date of the decision"),
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 validators=[plausible.validator(plausible.Kind.PAST)])
    reasons = forms.CharField(label=_("Reasons (this person's own)"),
                              widget=forms.Textarea(attrs={"rows": 3}))


class IntakeForm(forms.Form):
    file = forms.FileField(label=_("List of detainees (CSV or XLSX)"))


class LawyerLookupForm(forms.Form):
    iin = forms.CharField(label=_("IIN of the person"), max_length=12)
    full_name = forms.CharField(label=_("Full name of the person, exactly as in the ID"),
                                max_length=200)
    reason = forms.CharField(label=_("Reason: your warrant and who asked you"),
                             widget=forms.Textarea(attrs={"rows": 2}))


class IdentityCheckForm(forms.Form):
    asker_name = forms.CharField(label=_("Relative's full name"), max_length=200)
    asker_document = forms.CharField(label=_("Relative's identity document"), max_length=120)
    relationship = forms.CharField(label=_("Relationship to the person sought"), max_length=80)
    method = forms.ChoiceField(label=_("How the identity was checked"),
                               choices=IdentityCheck.Method.choices)
    sought_iin = forms.CharField(label=_("IIN of the person sought"), max_length=12)
    sought_name = forms.CharField(label=_("Full name of the person sought"), max_length=200)


class IncommunicadoForm(forms.Form):
    authority = forms.CharField(label=_("Ordering authority (court)"), max_length=200)
    order_ref = forms.CharField(label=_("Order number"), max_length=120)
    ordered_at = moment_field(_("Order date"))
    ends_at = moment_field(_("Restriction ends"), kind=plausible.Kind.PLAN)
