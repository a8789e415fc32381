from django import forms
from django.utils.translation import gettext_lazy as _

from custodywatch.registry.models import ReferenceDecision


class ReferenceDecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=ReferenceDecision.Kind.choices,
                             widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=300,
                             help_text=_("Why: e.g. the camera was re-aimed on purpose, "
                                         "with the work order number."))
