"""What cases adds to the complaint page (complaints/page.py; complaints, below cases, does not
import it): the cases opened from the complaint that the reader may open, the officers it
accuses, and the actions that link and unlink them (posted to ``complaints:action`` with
``accuse`` and ``unaccuse``, for the complaint's handlers). Opening a case from a complaint
is cases' own page (``cases:case_new?complaint=<pk>``). Registered in cases/apps.py."""

from __future__ import annotations

from collections.abc import Mapping

from django.forms import BaseForm
from django.shortcuts import get_object_or_404

from custodywatch.accounts.http import AuthedRequest
from custodywatch.cases import forms, selectors, services
from custodywatch.complaints.models import Complaint
from custodywatch.complaints.page import ACTIONS, DetailSection, register_detail_section


def complaint_section(request: AuthedRequest, complaint: Complaint,
                      bound: Mapping[str, BaseForm]) -> DetailSection:
    cases = selectors.complaint_cases(user=request.user, complaint=complaint,
                                      origin=request.origin)
    return DetailSection(
        context={"cases": cases,
                 "accusations": selectors.complaint_accusations(complaint=complaint),
                 "accuse_form": bound.get("accuse_form") or forms.AccusationForm(),
                 "unaccuse_form": bound.get("unaccuse_form")},
        visible_cases=frozenset(case.register_number for case in cases))


@ACTIONS.action("accuse", slot="accuse_form",
                form=lambda request, complaint: forms.AccusationForm(request.POST))
def _accuse(request, complaint, form):
    d = form.cleaned_data
    services.accusation_add(
        acting_user=request.user, origin=request.origin, complaint=complaint,
        full_name=d["full_name"], personnel_number=d["personnel_number"], rank=d["rank"],
        position=d["position"], user=d["username"], note=d["note"])


@ACTIONS.action("unaccuse", slot="unaccuse_form",
                form=lambda request, complaint: forms.AccusationRemoveForm(request.POST))
def _unaccuse(request, complaint, form):
    accusation = get_object_or_404(complaint.accusations, pk=form.cleaned_data["accusation"])
    services.accusation_remove(acting_user=request.user, origin=request.origin,
                               accusation=accusation, reason=form.cleaned_data["reason"])


def register() -> None:
    register_detail_section("cases", complaint_section)
