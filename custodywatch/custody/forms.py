"""Forms of the custody register: they parse input; the services judge it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from custodywatch.core import plausible

# One helper for every page (issue 26 item 3), named here for the views that import it.
from custodywatch.core.actions import add_service_errors as add_service_errors
from custodywatch.custody.models import (
    CellCheck,
    CustodyRecord,
    CustodyReview,
    EndReason,
    Injury,
    Interrogation,
    MedicalCheck,
    RelativesNotification,
    RightDelay,
    RiskAssessment,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a label: str or lazy text

MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


class RoomChoiceField(forms.ModelChoiceField):
    """Rooms by code and name; never through Room.__str__, which reads the facility."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.code} · {obj.name}"


def moment_field(label: StrOrPromise, *, required: bool = True,
                 kind: plausible.Kind = plausible.Kind.EVENT) -> forms.DateTimeField:
    """A moment typed in the person's own time zone (the middleware activates it), within
    the plausible window of its kind (core/plausible.py)."""
    return forms.DateTimeField(
        label=label, required=required, input_formats=[MOMENT_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MOMENT_FORMAT),
        validators=[plausible.validator(kind)])


class MomentsMixin:
    """Every DateTimeField of a ModelForm gets the datetime-local widget."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]  # a form mixin
            if isinstance(field, forms.DateTimeField):
                field.input_formats = [MOMENT_FORMAT, "%Y-%m-%d %H:%M"]
                field.widget = forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                   format=MOMENT_FORMAT)
                # Custody events: since the system's start, not in the future.
                field.validators.append(plausible.validator(plausible.Kind.EVENT))
            if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
                field.validators.append(plausible.validator(plausible.Kind.BIRTH))


class DetentionForm(MomentsMixin, forms.ModelForm):
    room = RoomChoiceField(label=_("First room"), queryset=None, required=False,
                                  help_text=_("Where the person is placed on arrival."))

    class Meta:
        model = CustodyRecord
        fields = ["full_name", "date_of_birth", "iin", "identity_document", "gender",
                  "citizenship", "language", "interpreter", "detained_at", "detained_place",
                  "detaining_officer", "detaining_unit", "grounds", "erdr_number", "arrived_at",
                  "rights_explained_at", "personal_property", "regime"]
        widgets = {"grounds": forms.Textarea(attrs={"rows": 2}),
                   "personal_property": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, rooms=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["room"]).queryset = rooms
        self.fields["detained_at"].help_text = _(
            "The actual moment the person was detained: the clock starts here, not at booking.")
        self.fields["regime"].required = False
        self.fields["regime"].help_text = _(
            "Proposed by the kind of facility; state the regime that applies to this person.")


class SafeguardsForm(MomentsMixin, forms.ModelForm):
    prefix = "safeguards"
    class Meta:
        model = CustodyRecord
        fields = ["rights_explained_at", "rights_language", "interpreter",
                  "rights_acknowledgement", "protocol_drawn_at", "prosecutor_notified_at",
                  "prosecutor_notified_means", "consular_notified_at", "consular_declined_at",
                  "consular_decline_acknowledgement", "lawyer_requested_at", "lawyer_name",
                  "lawyer_assigned_at", "lawyer_first_access_at", "state_lawyer_offered_at",
                  "lawyer_waived_at", "personal_property"]
        widgets = {"personal_property": forms.Textarea(attrs={"rows": 2})}


class RegimeForm(MomentsMixin, forms.ModelForm):
    """The regime and the court's order and term; the term lies ahead, so it is not held to
    the window of past events (the services check it follows the detention)."""

    prefix = "regime"

    class Meta:
        model = CustodyRecord
        fields = ["regime", "court_order_ref", "court_order_at", "term_ends_at",
                  "extension_applied_at"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plan_not_event(self.fields["term_ends_at"])


def _plan_not_event(field: forms.Field) -> None:
    """A moment ahead (a term's end, a delay's): the mixin's last validator, the window of
    past events, goes; the services judge how far ahead it may be."""
    field.validators = field.validators[:-1]


class RightDelayForm(MomentsMixin, forms.ModelForm):
    prefix = "delay"

    class Meta:
        model = RightDelay
        fields = ["right", "authorised_by", "reason", "authorised_at", "until"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plan_not_event(self.fields["until"])


class MoveForm(forms.Form):
    prefix = "move"
    room = RoomChoiceField(label=_("Move to room"), queryset=None)
    at = moment_field(_("At"))

    def __init__(self, *args, rooms=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["room"]).queryset = rooms


class InterrogationForm(MomentsMixin, forms.ModelForm):
    prefix = "interrogation"
    class Meta:
        model = Interrogation
        fields = ["kind", "room", "started_at", "ended_at", "investigator", "lawyer_present",
                  "interpreter", "recording_ref"]
        field_classes = {"room": RoomChoiceField}

    investigator_personnel_number = forms.CharField(
        label=_("Investigator's personnel number"), required=False, max_length=40,
        help_text=_("Links the interrogation to the officer's record."))

    def __init__(self, *args, rooms=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["room"]).queryset = rooms
        self.fields["lawyer_present"].required = False


class ReviewForm(MomentsMixin, forms.ModelForm):
    prefix = "review"
    reviewer_personnel_number = forms.CharField(
        label=_("Reviewing officer's personnel number"), required=False, max_length=40)

    class Meta:
        model = CustodyReview
        fields = ["reviewed_at", "reviewer", "decision", "reasons"]
        widgets = {"reasons": forms.Textarea(attrs={"rows": 2})}


class RiskAssessmentForm(MomentsMixin, forms.ModelForm):
    prefix = "risk"

    class Meta:
        model = RiskAssessment
        fields = ["assessed_at", "assessed_by", "intoxication", "self_harm", "mental_health",
                  "disability", "pregnancy", "language", "appropriate_adult",
                  "observation_level", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["observation_level"].required = False
        self.fields["observation_level"].help_text = _(
            "Leave empty for the level the answers call for; a closer one may be chosen.")


class CellCheckForm(MomentsMixin, forms.ModelForm):
    prefix = "cellcheck"

    class Meta:
        model = CellCheck
        fields = ["checked_at", "checked_by", "roused", "note"]


class MedicalCheckForm(MomentsMixin, forms.ModelForm):
    prefix = "medical"
    FINDINGS = [("none", _("No injuries found")), ("injuries", _("Injuries found"))]
    findings = forms.ChoiceField(label=_("Findings"), choices=FINDINGS,
                                 widget=forms.RadioSelect,
                                 help_text=_("An explicit answer: nothing is assumed."))
    body_location = forms.CharField(label=_("Injury: body location"), required=False,
                                    max_length=120)
    injury_kind = forms.ChoiceField(label=_("Injury: type"), required=False,
                                    choices=[("", "—"), *Injury.Kind.choices])
    injury_description = forms.CharField(label=_("Injury: description"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    photo_refs = forms.CharField(label=_("Injury: photo references"), required=False,
                                 max_length=500)

    class Meta:
        model = MedicalCheck
        fields = ["occasion", "examined_at", "examiner", "declared_ill_treatment", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data is not None and data.get("findings") == "injuries":
            for name in ("body_location", "injury_kind"):
                if not data.get(name):
                    self.add_error(name, _("Describe the injury found."))
        return data

    def service_arguments(self) -> tuple[dict[str, Any], list[Mapping[str, Any]]]:
        data = self.cleaned_data
        values: dict[str, Any] = {name: data[name] for name in self.Meta.fields}
        values["no_injuries"] = data["findings"] == "none"
        injuries: list[Mapping[str, Any]] = [] if values["no_injuries"] else [{
            "body_location": data["body_location"], "kind": data["injury_kind"],
            "description": data["injury_description"], "photo_refs": data["photo_refs"]}]
        return values, injuries


class NotificationForm(MomentsMixin, forms.ModelForm):
    prefix = "notification"
    class Meta:
        model = RelativesNotification
        fields = ["notified_at", "person_notified", "relationship", "method", "notified_by"]


class EndForm(forms.Form):
    prefix = "end"
    ended_at = moment_field(_("End of custody"))
    end_reason = forms.ChoiceField(label=_("How custody ended"), choices=EndReason.choices)
    end_note = forms.CharField(label=_("Court decision, destination or circumstances"),
                               required=False, widget=forms.Textarea(attrs={"rows": 2}))
