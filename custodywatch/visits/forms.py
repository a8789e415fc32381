from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from custodywatch.accounts.capabilities import Capability, roles_with
from custodywatch.accounts.models import User
from custodywatch.core import plausible
from custodywatch.core.pickers import CodePickerField
from custodywatch.kernels import risk
from custodywatch.registry.models import Agency, Facility
from custodywatch.visits.models import (
    PUBLIC_SOURCES,
    AffectedGroup,
    Category,
    Evidence,
    Finding,
    ImplementationStatus,
    Interview,
    ResponseLevel,
    Source,
    TeamMember,
    Visit,
)
from custodywatch.visits.risk_factors import LABELS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Plausible days (core/plausible.py): planned ones up to ten years ahead, issued ones past.
PLAN = plausible.validator(plausible.Kind.PLAN)
PAST = plausible.validator(plausible.Kind.PAST)


def _person_label(user: User) -> str:
    """People by their names; the user name only where no name was given."""
    name = user.get_full_name()
    return f"{name} ({user.get_role_display()})" if name else user.username


def _affiliation(text: str) -> str | None:
    """An affiliation by its code or its label in any of the interface's languages."""
    wanted = text.strip().casefold()
    if not wanted:
        return TeamMember.Affiliation.CIVIL_SOCIETY
    for value, label in TeamMember.Affiliation.choices:
        names = {value.casefold()}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                names.add(str(label).casefold())
        if wanted in names:
            return value
    return None


def _affiliation_help() -> str:
    """The help text lists the affiliations in the reader's language, as they may be typed."""
    labels = ", ".join(str(label) for _value, label in TeamMember.Affiliation.choices)
    return str(_("Affiliation, as one of: %(labels)s.")) % {"labels": labels}


AFFILIATION_HELP = lazy(_affiliation_help, str)()  # in the language of each rendering


class PersonMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return _person_label(obj)


class VisitPlanForm(forms.Form):
    facility = CodePickerField(label=_("Facility"), queryset=Facility.objects.none(),
                               help_text=_("Type part of its name, region or code to find it."))
    kind = forms.ChoiceField(label=_("Kind of visit"), choices=Visit.Kind.choices)
    starts_on = forms.DateField(label=_("First day"), widget=DATE, validators=[PLAN])
    ends_on = forms.DateField(label=_("Last day"), widget=DATE, validators=[PLAN])
    monitors = PersonMultipleChoiceField(
        label=_("Monitors in the team"), queryset=User.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    others = forms.CharField(
        label=_("Other members (one a line: name; affiliation)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=AFFILIATION_HELP)
    summary = forms.CharField(label=_("Purpose of the visit"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = Facility.objects.filter(
            is_active=True).select_related("region").order_by("region__code", "name")
        cast(forms.ModelChoiceField, self.fields["monitors"]).queryset = User.objects.filter(
            role__in=roles_with(Capability.PLAN_VISITS), is_active=True).order_by(
            "first_name", "last_name", "username")

    def clean_others(self) -> list[tuple[str, str]]:
        members = []
        for number, line in enumerate(self.cleaned_data["others"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, affiliation = line.partition(";")
            affiliation = _affiliation(affiliation)
            if affiliation is None or not name.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: write a name, a semicolon and an affiliation.") % {"n": number})
            members.append((name.strip(), affiliation))
        return members


class FindingForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Finding.Severity.choices,
                                 initial=Finding.Severity.MEDIUM)
    room = forms.ChoiceField(label=_("Room"), required=False)
    text = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 4}))
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"), required=False)

    def __init__(self, *args, rooms=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["room"]).choices = [("", _("Not in one room"))] + [
            (r.code, f"{r.code} {r.name}") for r in rooms]


class InterviewForm(forms.Form):
    interviewee = forms.ChoiceField(label=_("Interviewee"), choices=Interview.Interviewee.choices)
    in_private = forms.BooleanField(label=_("Held in private"), required=False, initial=True)
    notes = forms.CharField(label=_("Notes (sealed; monitors only)"),
                            widget=forms.Textarea(attrs={"rows": 4}))


class RoomsForm(forms.Form):
    rooms = forms.MultipleChoiceField(label=_("Places inspected"), required=False,
                                      widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, rooms=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["rooms"]).choices = [
            (r.code, f"{r.code} {r.name}") for r in rooms]


class ChecklistForm(forms.Form):
    observed_status = forms.ChoiceField(label=_("Status seen"),
                                        choices=ImplementationStatus.choices)
    note = forms.CharField(label=_("What was seen"), widget=forms.Textarea(attrs={"rows": 2}))


class RecommendationForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    text = forms.CharField(label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    addressee_body = forms.ModelChoiceField(label=_("Addressed to"),
                                            queryset=Agency.objects.order_by("code"))
    responsible_official = forms.CharField(label=_("Responsible official"), max_length=200)
    facility = forms.CharField(label=_("Facility code"), max_length=40, required=False,
                               help_text=_("Empty for a national recommendation."))
    finding = forms.ChoiceField(label=_("Finding"), required=False)
    cat_reference = forms.CharField(
        label=_("Official reference"), max_length=200, required=False,
        help_text=_("Required for an international mechanism: the document and paragraph, "
                    "e.g. CAT/C/KAZ/CO/4, para. 12"))
    affected_groups = forms.MultipleChoiceField(
        label=_("Groups concerned"), choices=AffectedGroup.choices, required=False,
        widget=forms.CheckboxSelectMultiple)
    sdg_targets = forms.CharField(
        label=_("SDG targets"), max_length=200, required=False,
        help_text=_("Sustainable Development Goal targets, separated by commas: e.g. 16.3, 16.a"))
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE, validators=[PAST])
    deadline = forms.DateField(label=_("Deadline"), widget=DATE, validators=[PLAN])

    def __init__(self, *args, findings=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["finding"]).choices = [("", _("None"))] + [
            (str(f.uuid), f"{f.get_category_display()}: {f.text[:80]}") for f in findings]

    def clean_sdg_targets(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["sdg_targets"].split(",")
                if part.strip()]

    def clean_facility(self) -> Facility | None:
        code = self.cleaned_data["facility"].strip().upper()
        if not code:
            return None
        facility = Facility.objects.filter(code=code).first()
        if facility is None:
            raise forms.ValidationError(_("No facility has this code."))
        return facility


class ResponseForm(forms.Form):
    level = forms.ChoiceField(label=_("Your response"), choices=ResponseLevel.choices)
    text = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of evidence"), choices=Evidence.Kind.choices)
    description = forms.CharField(label=_("Description"),
                                  widget=forms.Textarea(attrs={"rows": 3}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Implementation status"),
                               choices=ImplementationStatus.choices)
    evidence = forms.ChoiceField(label=_("Based on"))
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, evidence=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["evidence"]).choices = [
            (str(e.pk), f"{e.get_kind_display()}: {e.description[:60]}") for e in evidence]


class GroupForm(forms.Form):
    other = forms.IntegerField(label=_("Recommendation number asking the same"), min_value=1)
    title = forms.CharField(label=_("What they ask"), max_length=300)


class TrackerFilterForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), required=False,
                               choices=[("", _("All sources")), *Source.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *ImplementationStatus.choices])
    response_level = forms.ChoiceField(label=_("Response"), required=False,
                                       choices=[("", _("All responses")), *ResponseLevel.choices])
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("All categories")), *Category.choices])
    region = forms.ChoiceField(label=_("Region"), required=False)
    body = forms.ChoiceField(label=_("Addressed to"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, regions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [("", _("All regions"))] + [
            (r.code, r.name) for r in regions]
        cast(forms.ChoiceField, self.fields["body"]).choices = [("", _("All bodies"))] + [
            (a.code, a.name) for a in Agency.objects.order_by("code")]


class WeightsForm(forms.Form):
    def __init__(self, *args, weights: dict[str, float], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for spec in risk.FACTORS:
            self.fields[spec.key] = forms.FloatField(
                label=LABELS[spec.key].label, min_value=0, max_value=100,
                initial=weights[spec.key])


class RegionChoiceForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, regions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [("", _("All regions"))] + [
            (r.code, r.name) for r in regions]



class PublicRecommendationFilterForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), required=False, choices=[
        ("", _("All sources")), *((value, label) for value, label in Source.choices
                                  if value in PUBLIC_SOURCES)])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *ImplementationStatus.choices])
    group = forms.ChoiceField(label=_("Groups concerned"), required=False,
                              choices=[("", _("Any group")), *AffectedGroup.choices])


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Your organisation's comment"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Shown publicly with your organisation's name. Do not "
                                       "name detainees or give their details: a comment that "
                                       "may identify a person waits for a moderator."))


class ModerationForm(forms.Form):
    decision = forms.ChoiceField(choices=[("publish", _("Publish")),
                                          ("reject", _("Do not publish"))])
    note = forms.CharField(label=_("Moderator's note"), max_length=500, required=False)
