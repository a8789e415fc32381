"""Forms of accountability's pages: they parse, services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from custodywatch.accountability.models import Sanction
from custodywatch.cases.models import DutyStatus


class DateInput(forms.DateInput):
    input_type = "date"


class OpenForm(forms.Form):
    opened_on = forms.DateField(label=_("Opened on"), widget=DateInput)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class DeclineForm(forms.Form):
    note = forms.CharField(label=_("Why no proceeding is opened"), max_length=500)


class DecideForm(forms.Form):
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    sanction = forms.ChoiceField(label=_("Sanction"), choices=Sanction.choices)
    effective_on = forms.DateField(label=_("Sanction effective on"), widget=DateInput,
                                   required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class DutyForm(forms.Form):
    status = forms.ChoiceField(label=_("Duty status"), choices=[
        (DutyStatus.SUSPENDED.value, DutyStatus.SUSPENDED.label),
        (DutyStatus.ON_DUTY.value, DutyStatus.ON_DUTY.label)])
    since = forms.DateField(label=_("Since"), widget=DateInput)


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DateInput)


class RecourseForm(forms.Form):
    officer = forms.IntegerField(label=_("Convicted officer"))
    day = forms.DateField(label=_("Filed on"), widget=DateInput)


class RecoveredForm(forms.Form):
    recovered = forms.DecimalField(label=_("Recovered (KZT)"), min_value=Decimal(0),
                                   max_digits=14, decimal_places=2)
    day = forms.DateField(label=_("On"), widget=DateInput)
    written_off = forms.BooleanField(label=_("Write off the rest"), required=False)
