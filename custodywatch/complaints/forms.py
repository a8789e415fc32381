"""Forms of the intake channels and of the handling pages. They check input; services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from custodywatch.accounts.models import User
from custodywatch.complaints import receipts
from custodywatch.complaints.models import (
    OPERATOR_CHANNELS,
    Category,
    Channel,
    Disposition,
    Status,
    Terminal,
    Urgency,
)
from custodywatch.core.pickers import SearchableSelect
from custodywatch.registry.models import Facility, Region


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; limits are checked by the service (attachments.py)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": "image/jpeg,image/png,application/pdf,video/mp4,video/webm"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class FacilityChoiceField(forms.ModelChoiceField):
    """Thousands of facilities: a list with a search box (core.pickers), by name, code or
    region."""

    widget = SearchableSelect

    def label_from_instance(self, obj: Facility) -> str:
        return f"{obj.local_name} · {obj.code} ({obj.region.short_name})"


class ComplaintForm(forms.Form):
    """The public web form and the kiosk form: no account needed, anonymity allowed."""

    text = forms.CharField(label=_("What happened?"), widget=forms.Textarea(attrs={"rows": 8}),
                           max_length=20_000)
    facility = FacilityChoiceField(label=_("Where did it happen?"), required=False,
                                   queryset=Facility.objects.none(),
                                   empty_label=_("— I do not know the facility —"))
    region = forms.ModelChoiceField(label=_("Region"), required=False,
                                    queryset=Region.objects.all(),
                                    help_text=_("Needed when you do not know the facility."))
    incident_started_at = forms.DateTimeField(
        label=_("When did it start?"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    incident_ended_at = forms.DateTimeField(
        label=_("When did it end?"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    still_in_custody = forms.BooleanField(
        label=_("The person is still held by the people accused"), required=False)
    accused_officers = forms.CharField(label=_("Officers involved (names, ranks, numbers)"),
                                       required=False, max_length=500)
    anonymous = forms.BooleanField(label=_("File anonymously"), required=False,
                                   help_text=_("Without a name we can only answer you "
                                               "through the receipt code."))
    full_name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    contact = forms.CharField(label=_("How to reach you (telephone, address, e-mail)"),
                              required=False, max_length=300)
    attachments = MultipleFileField(label=_("Photos, documents or video"),
                                    help_text=_("Up to 5 files of 25 MB each: JPEG, PNG, PDF, "
                                                "MP4 or WebM."))
    pin = forms.CharField(
        label=_("A PIN of your choice (4 to 8 digits)"), required=False,
        max_length=receipts.PIN_MAX,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*"}),
        help_text=_("With a PIN your receipt code is short (16 characters and a check "
                    "character), easy to copy by hand or read over the telephone; the code "
                    "and the PIN together open the answer. Nobody can recover a forgotten "
                    "PIN. Without a PIN you get a long code."))

    def clean_pin(self) -> str:
        pin = self.cleaned_data.get("pin", "").strip()
        if pin and not receipts.valid_pin(pin):
            raise forms.ValidationError(_("The PIN is %(min)s to %(max)s digits.")
                                        % {"min": receipts.PIN_MIN, "max": receipts.PIN_MAX})
        return pin

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = Facility.objects.filter(
            is_active=True).select_related("region").order_by("region__code", "name")
        for field in self.fields.values():
            # Nothing typed here may be kept by the browser: kiosks and shared computers.
            field.widget.attrs.setdefault("autocomplete", "off")

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data is None:  # never: Form.clean returns the cleaned data
            return data
        if not data.get("facility") and not data.get("region"):
            self.add_error("facility", _("Choose the facility, or at least the region."))
        if data.get("anonymous") and (data.get("full_name") or data.get("contact")):
            self.add_error("anonymous", _("An anonymous complaint carries no name or contact."))
        return data


class KioskForm(ComplaintForm):
    """The kiosk: the facility is the terminal's; large fields, no date pickers to fight."""

    def __init__(self, *args, kiosk_facility: Facility, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].initial = kiosk_facility.pk
        for name in ("incident_started_at", "incident_ended_at", "region"):
            del self.fields[name]
        self.fields["still_in_custody"].initial = True

    def clean(self) -> dict[str, Any] | None:
        return forms.Form.clean(self)


class OperatorForm(ComplaintForm):
    channel = forms.ChoiceField(label=_("Received by"),
                                choices=[(c.value, c.label) for c in OPERATOR_CHANNELS])
    relation = forms.CharField(label=_("Caller's relation to the person"), required=False,
                               max_length=100)

    field_order = ["channel", "text", "facility", "region"]


class ReceiptCodeForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "autocapitalize": "characters",
                                                         "spellcheck": "false"}))
    pin = forms.CharField(label=_("PIN (if you chose one)"), required=False,
                          max_length=receipts.PIN_MAX,
                          widget=forms.PasswordInput(attrs={"autocomplete": "off",
                                                            "inputmode": "numeric"}))


class CloseForm(forms.Form):
    disposition = forms.ChoiceField(label=_("How it ended"),
                                    choices=[("", "—"), *Disposition.choices])
    detail = forms.CharField(label=_("Register or case number, legal ground, or remedy"),
                             required=False, max_length=300,
                             help_text=_("Needed for a referral, a case, a refusal and a "
                                         "remedy. The complainant reads it."))


class TerminalEnrolForm(forms.Form):
    code = forms.CharField(label=_("Enrolment code"), max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "autocapitalize": "characters",
                                                         "spellcheck": "false"}))


class TerminalAddForm(forms.Form):
    facility = FacilityChoiceField(queryset=Facility.objects.none(), label=_("Facility"))
    place = forms.CharField(label=_("Place in the facility"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Terminal.Kind.choices,
                             initial=Terminal.Kind.KIOSK, required=False)

    def __init__(self, *args, facilities=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if facilities is not None:
            cast(forms.ModelChoiceField, self.fields["facility"]).queryset = facilities.order_by(
                "code")


class ComplainantReplyForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, max_length=60)
    pin = forms.CharField(widget=forms.HiddenInput, max_length=receipts.PIN_MAX, required=False)
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=20_000)
    attachments = MultipleFileField(label=_("Add files"))


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any"))] + list(Status.choices))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("Any"))] + list(Category.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("Any"))] + list(Channel.choices))
    urgency = forms.ChoiceField(label=_("Urgency"), required=False,
                                choices=[("", _("Any"))] + list(Urgency.choices))
    region = forms.ChoiceField(label=_("Region"), required=False)
    mine = forms.BooleanField(label=_("Mine only"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    facility = forms.CharField(label=_("Facility code"), required=False, max_length=40)
    allegations = forms.BooleanField(label=_("Allegations of ill-treatment only"),
                                     required=False)
    happened_from = forms.DateField(
        label=_("Happened from"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day of the incident, else the day received."))
    happened_to = forms.DateField(label=_("Happened to (included)"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"},
                                                         format="%Y-%m-%d"))

    def __init__(self, *args, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [("", _("Any"))] + [
            (r.code, r.name) for r in regions]


class TriageForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)


class OfficialMessageForm(forms.Form):
    body = forms.CharField(label=_("Message to the complainant"),
                           widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    kind = forms.ChoiceField(label=_("Kind"), initial="message", choices=[
        ("message", _("Information")), ("question", _("Question (waits for the answer)")),
        ("answer", _("Final answer (stops the answer clock)"))])


class ReassignForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("Give to"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, handlers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["handler"]).queryset = handlers


class IdentityRequestForm(forms.Form):
    reason = forms.CharField(label=_("Why do you need the identity?"),
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
    break_glass = forms.BooleanField(
        label=_("Urgent: open now (break the glass; a custodian reviews it afterwards)"),
        required=False)


class LinkCustodyForm(forms.Form):
    custody_record = forms.IntegerField(label=_("Custody record number"), min_value=1)
