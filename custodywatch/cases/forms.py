"""Forms of the cases pages: they parse input; the services judge it."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from custodywatch.accounts.capabilities import Capability, roles_with
from custodywatch.accounts.models import User
from custodywatch.cases import body
from custodywatch.cases.models import (
    Article,
    CaseParty,
    CaseStatus,
    CaseStep,
    ClosureGround,
    CompensationClaim,
    Consent,
    Consistency,
    CrisisCentre,
    EvidenceItem,
    ExclusionKind,
    Finding,
    Officer,
    Person,
    ReferralOutcome,
    SupportReferral,
    Verdict,
)
from custodywatch.core import plausible
from custodywatch.custody.forms import MOMENT_FORMAT
from custodywatch.custody.forms import moment_field as custody_moment_field
from custodywatch.kernels.case_rules import RELEASE_FLAGS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a label: str or lazy text

    from custodywatch.complaints.models import Complaint, LegalHold
    from custodywatch.registry.models import Facility

BLANK = [("", "—")]


def moment_field(label: StrOrPromise, *, required: bool = True) -> forms.DateTimeField:
    """A case's event: since 1991, not in the future (core/plausible.py)."""
    return custody_moment_field(label, required=required, kind=plausible.Kind.PAST)


def date_field(label: StrOrPromise, *, required: bool = True,
               kind: plausible.Kind = plausible.Kind.PAST) -> forms.DateField:
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           validators=[plausible.validator(kind)])


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class OfficerMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Officer) -> str:
        return _officer_label(obj)


class CrisisCentreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CrisisCentre) -> str:
        return f"{obj.name} ({obj.region.name}: {', '.join(obj.service_labels)})"


class PartyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        who = obj.officer.full_name if obj.officer_id else obj.person.full_name
        return f"{who} ({obj.get_role_display()})"


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=BLANK + list(CaseStatus.choices))
    region = forms.CharField(label=_("Region code"), required=False, max_length=10)
    facility = forms.CharField(label=_("Facility code"), required=False, max_length=40)
    article = forms.ChoiceField(label=_("Article"), required=False,
                                choices=BLANK + list(Article.choices))
    overdue = forms.BooleanField(label=_("Overdue clock"), required=False)
    flagged = forms.BooleanField(label=_("Legal-rule flags"), required=False)
    q = forms.CharField(label=_("ERDR number"), required=False, max_length=40)


class CaseForm(forms.Form):
    register_number = forms.CharField(label=_("ERDR number"), max_length=40,
                                      help_text=_("15 digits; spaces are ignored."))
    title = forms.CharField(label=_("Title"), max_length=300)
    facility: forms.ModelChoiceField[Facility] = forms.ModelChoiceField(
        label=_("Facility concerned"), queryset=None)
    complaints: forms.ModelMultipleChoiceField[Complaint] = forms.ModelMultipleChoiceField(
        label=_("Complaints"), queryset=None, required=False)
    ex_officio = forms.BooleanField(label=_("Opened ex officio"), required=False)
    unit = forms.CharField(label=_("Unit concerned"), max_length=200, required=False)
    investigating_prosecutor = UserChoiceField(label=_("Investigating prosecutor"),
                                               queryset=None, required=False)
    events_from = moment_field(_("Events from"), required=False)
    events_until = moment_field(_("Events until"), required=False)
    summary = forms.CharField(label=_("Summary of the allegation"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    suspects = OfficerMultipleChoiceField(
        label=_("Suspects"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The officers the complaints accuse; uncheck any who is not a suspect."))

    def __init__(self, *args, facilities, complaints, prosecutors, suspects=None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = facilities
        cast(forms.ModelChoiceField, self.fields["complaints"]).queryset = complaints
        cast(forms.ModelChoiceField, self.fields["investigating_prosecutor"]).queryset = prosecutors
        offered = suspects if suspects is not None else Officer.objects.none()
        cast(forms.ModelChoiceField, self.fields["suspects"]).queryset = offered
        if not offered.exists():
            del self.fields["suspects"]


def _officer_label(officer: Officer) -> str:
    details = ", ".join(v for v in (officer.rank, officer.position, officer.personnel_number)
                        if v)
    return f"{officer.full_name} ({details})" if details else officer.full_name


class AccusationForm(forms.Form):
    """An officer a complaint accuses, linked to an officer record (complaint page)."""

    full_name = forms.CharField(label=_("Officer's full name"), max_length=200, required=False)
    personnel_number = forms.CharField(
        label=_("Personnel number"), max_length=40, required=False,
        help_text=_("An officer already recorded is found by it."))
    rank = forms.CharField(label=_("Rank"), max_length=100, required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    username = forms.CharField(
        label=_("His user account, if he has one"), max_length=150, required=False,
        help_text=_("That account will never see this complaint, nor a case opened from it."))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def clean_username(self) -> User | None:
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ValidationError(_("No user account has this name."))
        return user


class AccusationRemoveForm(forms.Form):
    accusation = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for removing the link"), max_length=300)


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=CaseStatus.choices)
    ground = forms.ChoiceField(label=_("Ground for closing"), required=False,
                               choices=BLANK + list(ClosureGround.choices))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    at = moment_field(_("At"), required=False)

    def __init__(self, *args, allowed=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            labels = dict(CaseStatus.choices)
            cast(forms.ChoiceField, self.fields["to_status"]).choices = [
                (s, labels[s]) for s in allowed]


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=CaseStep.Kind.choices)
    taken_at = moment_field(_("Taken at"))
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class PersonPartyForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[
        (CaseParty.Role.VICTIM, CaseParty.Role.VICTIM.label),
        (CaseParty.Role.WITNESS, CaseParty.Role.WITNESS.label),
        (CaseParty.Role.LAWYER, CaseParty.Role.LAWYER.label)])
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    iin = forms.CharField(label=_("IIN"), max_length=12, required=False)
    date_of_birth = date_field(_("Date of birth"), required=False, kind=plausible.Kind.BIRTH)
    sex = forms.ChoiceField(label=_("Sex"), choices=Person.Sex.choices,
                            initial=Person.Sex.UNKNOWN)
    represents = PartyChoiceField(label=_("Represents (for a lawyer)"), queryset=None,
                                  required=False)
    custody_record = forms.IntegerField(
        label=_("Custody record number (a victim held at the time)"), required=False,
        min_value=1, help_text=_("The number on the custody record's page."))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, victims, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["represents"]).queryset = victims


class OfficerPartyForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[
        (CaseParty.Role.SUSPECT, CaseParty.Role.SUSPECT.label),
        (CaseParty.Role.ACCUSED, CaseParty.Role.ACCUSED.label)])
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    personnel_number = forms.CharField(label=_("Personnel number"), max_length=40,
                                       required=False)
    rank = forms.CharField(label=_("Rank"), max_length=100, required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ChargeForm(forms.Form):
    accused = PartyChoiceField(label=_("Accused"), queryset=None)
    victim = PartyChoiceField(label=_("Victim"), queryset=None)
    article = forms.ChoiceField(label=_("Article"), choices=Article.choices)
    article_part = forms.CharField(label=_("Part"), max_length=10, required=False)
    verdict = forms.ChoiceField(label=_("Verdict"), choices=Verdict.choices,
                                initial=Verdict.PENDING)
    verdict_on = date_field(_("Verdict date"), required=False)
    imprisonment_months = forms.IntegerField(label=_("Imprisonment (months)"), min_value=0,
                                             required=False)
    fine_amount = forms.DecimalField(label=_("Fine (KZT)"), min_value=0, required=False,
                                     max_digits=14, decimal_places=2)
    ban_on_positions_years = forms.IntegerField(label=_("Ban on holding positions (years)"),
                                                min_value=0, required=False)
    probation = forms.BooleanField(label=_("Probation (conditional sentence)"), required=False)
    amnesty = forms.BooleanField(label=_("Released by amnesty"), required=False)
    limitation = forms.BooleanField(label=_("Released by the statute of limitations"),
                                    required=False)
    reconciliation = forms.BooleanField(label=_("Released by reconciliation with the victim"),
                                        required=False)
    active_repentance = forms.BooleanField(label=_("Released for active repentance"),
                                           required=False)

    def __init__(self, *args, accused, victims, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["accused"]).queryset = accused
        cast(forms.ModelChoiceField, self.fields["victim"]).queryset = victims

    def outcome(self) -> dict:
        data = self.cleaned_data
        names = ("verdict", "verdict_on", "imprisonment_months", "fine_amount",
                 "ban_on_positions_years", *RELEASE_FLAGS)
        return {name: data.get(name) for name in names}


class ExaminationRequestForm(forms.Form):
    subject = PartyChoiceField(label=_("Person examined"), queryset=None)
    examiner = UserChoiceField(label=_("Examiner"), queryset=None)
    place = forms.CharField(label=_("Place of examination"), max_length=300, required=False)

    def __init__(self, *args, persons, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["subject"]).queryset = persons
        cast(forms.ModelChoiceField, self.fields["examiner"]).queryset = User.objects.filter(
            role__in=roles_with(Capability.EXAMINE_FOR_CASES), is_active=True).order_by(
            "last_name", "username")


class ExaminationRecordForm(forms.Form):
    examined_at = moment_field(_("Examined"), required=False)
    place = forms.CharField(label=_("Place of examination"), max_length=300, required=False)
    history = forms.CharField(label=_("History given by the person"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    psychological_findings = forms.CharField(label=_("Psychological findings"), required=False,
                                             widget=forms.Textarea(attrs={"rows": 3}))
    psychological_consistency = forms.ChoiceField(
        label=_("Consistency of the psychological findings"), required=False,
        choices=BLANK + list(Consistency.choices))
    conclusion = forms.CharField(label=_("Conclusion"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    complete = forms.BooleanField(label=_("The report is complete"), required=False)


class FindingForm(forms.Form):
    view = forms.ChoiceField(label=_("View"), choices=Finding.View.choices)
    body_region = forms.ChoiceField(label=_("Body region"), choices=[])
    x = forms.FloatField(required=False, min_value=0, max_value=1, widget=forms.HiddenInput)
    y = forms.FloatField(required=False, min_value=0, max_value=1, widget=forms.HiddenInput)
    description = forms.CharField(label=_("Description"),
                                  widget=forms.Textarea(attrs={"rows": 2}))
    consistency = forms.ChoiceField(label=_("Degree of consistency"),
                                    choices=Consistency.choices)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["body_region"]).choices = body.region_choices()


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photograph (JPEG or PNG)"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class EvidenceForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=40)
    kind = forms.ChoiceField(label=_("Type"), choices=EvidenceItem.Kind.choices)
    description = forms.CharField(label=_("Description"),
                                  widget=forms.Textarea(attrs={"rows": 2}))
    found_at = forms.CharField(label=_("Where found"), max_length=300)
    collected_by = forms.CharField(label=_("Collected by"), max_length=200)
    collected_at = moment_field(_("Collected"))
    holder = forms.CharField(label=_("Current holder"), max_length=200)
    location = forms.CharField(label=_("Storage location"), max_length=300)
    file = forms.FileField(label=_("File (digital items)"), required=False)
    legal_hold: forms.ModelChoiceField[LegalHold] = forms.ModelChoiceField(
        label=_("Held footage"), queryset=None, required=False)

    def __init__(self, *args, holds, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["legal_hold"]).queryset = holds


class TransferForm(forms.Form):
    item: forms.ModelChoiceField[EvidenceItem] = forms.ModelChoiceField(
        label=_("Item"), queryset=None)
    from_holder = forms.CharField(label=_("From (holder)"), max_length=200)
    from_location = forms.CharField(label=_("From (location)"), max_length=300)
    to_holder = forms.CharField(label=_("To (holder)"), max_length=200)
    to_location = forms.CharField(label=_("To (location)"), max_length=300)
    transferred_at = moment_field(_("Transferred"))
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, items, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["item"]).queryset = items


class ReferralForm(forms.Form):
    victim = PartyChoiceField(label=_("Victim"), queryset=None)
    kind = forms.ChoiceField(label=_("Support"), choices=SupportReferral.Kind.choices)
    crisis_centre = CrisisCentreChoiceField(label=_("Crisis centre"), queryset=None)
    consent = forms.ChoiceField(
        label=_("The person's consent"), choices=[("", "---------"), *Consent.choices],
        help_text=_("Nobody is referred without consent to the referral and to the centre "
                    "receiving the person's contact details."))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, victims, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["victim"]).queryset = victims
        cast(forms.ModelChoiceField, self.fields["crisis_centre"]).queryset = (
            CrisisCentre.objects.filter(is_active=True).select_related("region")
            .order_by("region__code", "name"))


class ReferralStatusForm(forms.Form):
    referral = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=SupportReferral.Status.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", "---------"), *ReferralOutcome.choices])


class ReferralServiceForm(forms.Form):
    referral = forms.TypedChoiceField(label=_("Referral"), coerce=int)
    kind = forms.ChoiceField(label=_("Service"), choices=SupportReferral.Kind.choices)
    given_on = date_field(_("Given on"))
    sessions = forms.IntegerField(label=_("Sessions"), min_value=1, max_value=500, initial=1)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, referrals, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["referral"]).choices = [
            (r.pk, f"#{r.pk} {r.centre}: {r.get_kind_display()}") for r in referrals]


class ExclusionForm(forms.Form):
    facility: forms.ModelChoiceField[Facility] = forms.ModelChoiceField(
        label=_("Unit that obtained it"), queryset=None)
    court = forms.CharField(label=_("Court"), max_length=200)
    ruling_reference = forms.CharField(label=_("Ruling"), max_length=100)
    ruled_on = date_field(_("Ruled on"))
    criminal_case_number = forms.CharField(label=_("Criminal case number"), max_length=60,
                                           required=False)
    kind = forms.ChoiceField(label=_("Evidence excluded"), choices=ExclusionKind.choices)
    person_sex = forms.ChoiceField(label=_("Sex"), choices=Person.Sex.choices)
    person_age = forms.IntegerField(label=_("Age"), required=False, min_value=10,
                                    max_value=120)
    person_citizenship = forms.CharField(label=_("Citizenship (two letters)"), max_length=2,
                                         required=False)

    def __init__(self, *args, facilities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["facility"]).queryset = facilities


class ClaimForm(forms.Form):
    victim = PartyChoiceField(label=_("Victim"), queryset=None)
    claimed_at = date_field(_("Claimed"))
    amount_claimed = forms.DecimalField(label=_("Amount claimed (KZT)"), min_value=0,
                                        max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, victims, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["victim"]).queryset = victims


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        c for c in CompensationClaim.Decision.choices if c[0] != "pending"])
    decided_at = date_field(_("Decided"))
    amount_granted = forms.DecimalField(label=_("Amount granted (KZT)"), min_value=0,
                                        max_digits=14, decimal_places=2, required=False)
    paid_at = date_field(_("Paid"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Charges (CSV, UTF-8)"))


__all__ = ["MOMENT_FORMAT"]
