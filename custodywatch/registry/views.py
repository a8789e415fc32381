from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from custodywatch.accounts.audit import audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.models import AuditEvent
from custodywatch.registry import camera_changes as changes
from custodywatch.registry import marker_sheet as sheets
from custodywatch.registry import selectors, services
from custodywatch.registry.csv_import import KINDS, RegistryImportError
from custodywatch.registry.forms import (
    CameraDecisionForm,
    CameraProposalForm,
    FacilityFilterForm,
    MarkerCheckForm,
    RegistryImportForm,
)
from custodywatch.registry.models import Facility, Room
from custodywatch.registry.sections import camera_page_sections

PAGE_SIZE = 50


@login_required
def facility_list(request: AuthedRequest) -> HttpResponse:
    form = FacilityFilterForm(
        request.GET or None,
        regions=selectors.regions_visible(user=request.user),
        agencies=selectors.agencies_all(),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    facilities = selectors.facility_search(
        user=request.user,
        text=filters.get("q", ""),
        region_code=filters.get("region", ""),
        agency_code=filters.get("agency", ""),
        kind=filters.get("kind", ""),
    )
    page = Paginator(facilities, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx and request.htmx.target == "facility-results":
        return render(request, "registry/facility_list.html#results", context)
    return render(request, "registry/facility_list.html", context)


@login_required
def facility_detail(request: AuthedRequest, code: str) -> HttpResponse:
    try:
        facility = selectors.facility_detail(
            user=request.user, code=code, origin=request.origin
        )
    except Facility.DoesNotExist:
        raise Http404(_("No such facility in your scope.")) from None
    rooms = list(selectors.facility_rooms(facility=facility))
    return render(
        request,
        "registry/facility_detail.html",
        {
            "facility": facility,
            "rooms": rooms,
            "blind_rooms": [r for r in rooms if r.custody_use and r.camera_count == 0],
            "cameras": selectors.facility_cameras(facility=facility),
            "heads": selectors.facility_heads(facility=facility),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def registry_import(request: AuthedRequest) -> HttpResponse:
    if not has_capability(request.user, Capability.EDIT_REGISTRY):
        raise PermissionDenied
    form = RegistryImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.registry_import(
                acting_user=request.user,
                origin=request.origin,
                kind=form.cleaned_data["kind"],
                content=upload.read(),
                file_name=upload.name,
            )
        except RegistryImportError as error:
            errors = error.errors
        else:
            messages.success(
                request,
                _("Imported %(kind)s: %(created)s new, %(updated)s changed, "
                  "%(unchanged)s unchanged.") % result.__dict__,
            )
            return redirect("registry:import")
    return render(
        request, "registry/import.html", {"form": form, "errors": errors, "kinds": KINDS}
    )


def _facility(request: AuthedRequest, code: str) -> Facility:
    try:
        return selectors.facility_detail(user=request.user, code=code,
                                         origin=request.origin)
    except Facility.DoesNotExist:
        raise Http404(_("No such facility in your scope.")) from None


def _form_errors(form: BaseForm, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
@require_http_methods(["GET", "POST"])
def camera_changes(request: AuthedRequest, code: str) -> HttpResponse:
    """A facility's cameras and the proposed changes to them: the facility's own staff
    propose, a prosecutor or NPM monitor in scope approves or rejects."""
    facility = _facility(request, code)
    origin = request.origin
    may_propose = changes.may_propose(request.user, facility)
    may_decide = changes.may_decide(request.user, facility)
    action = request.POST.get("action", "")
    proposal = CameraProposalForm(request.POST if action == "propose" else None,
                                  facility=facility, initial={"is_active": True})
    decision = CameraDecisionForm(request.POST if action == "decide" else None)
    if action == "propose":
        if not may_propose:
            raise PermissionDenied
        if proposal.is_valid():
            data = proposal.cleaned_data
            try:
                _camera, change = changes.camera_change_propose(
                    acting_user=request.user, origin=origin, token=None, facility=facility,
                    code=data["code"], name=data["name"], room_codes=data["rooms"],
                    recorder_code=data["recorder"], is_active=data["is_active"])
            except ValidationError as error:
                _form_errors(proposal, error)
            else:
                messages.success(request, _("Proposal recorded: it takes effect when a "
                                            "prosecutor or NPM monitor approves it.")
                                 if change else _("That is already the approved camera."))
                return redirect("registry:camera_changes", code=code)
    elif action == "decide":
        if not may_decide:
            raise PermissionDenied
        if decision.is_valid():
            data = decision.cleaned_data
            change = changes.camera_changes_visible(user=request.user, facility=facility
                                                    ).filter(pk=data["change"]).first()
            if change is None:
                raise Http404(_("No such proposal in your scope."))
            try:
                changes.camera_change_decide(acting_user=request.user, origin=origin,
                                             change=change, approve=data["approve"],
                                             reason=data["reason"])
            except ValidationError as error:
                _form_errors(decision, error)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("registry:camera_changes", code=code)
    elif request.method == "POST":
        raise PermissionDenied
    visible = changes.camera_changes_visible(user=request.user, facility=facility)
    context = {
        "facility": facility,
        "cameras": selectors.facility_cameras(facility=facility),
        "pending": list(visible.filter(status="pending")),
        "history": list(visible.exclude(status="pending")[:50]),
        "proposal": proposal, "decision": decision,
        "may_propose": may_propose, "may_decide": may_decide,
        "blind_now": changes.blind_room_count(facility),
        # The coverage rule and open incidents: video's section (video/camera_map.py).
        "sections": camera_page_sections(request, facility),
    }
    bad = request.method == "POST"
    return render(request, "registry/camera_changes.html", context, status=400 if bad else 200)


@login_required
def marker_sheet(request: AuthedRequest, code: str) -> HttpResponse:
    """The facility's room markers as a PDF to print (room, marker, check code)."""
    facility = _facility(request, code)
    rooms = list(Room.objects.filter(facility=facility, custody_use=True,
                                     marker_id__isnull=False).order_by("code"))
    pdf = sheets.marker_sheet_pdf(facility=facility, rooms=rooms,
                                  check_url=request.build_absolute_uri(
                                      reverse("registry:marker_check")))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="markers-{facility.code}.pdf"'
    return response


@login_required
def marker_check(request: AuthedRequest) -> HttpResponse:
    """An NPM monitor in the room checks the sheet on the wall: is this the room's marker?"""
    form = MarkerCheckForm(request.GET or None)
    result = None
    room = None
    if form.is_valid():
        data = form.cleaned_data
        room = (Room.objects.filter(facility__in=selectors.facilities_visible(user=request.user),
                                    facility__code=data["facility"].strip().upper(),
                                    code=data["room"].strip().upper())
                .select_related("facility").first())
        result = room is not None and sheets.check_matches(room=room, code=data["code"])
        audit_record(actor=request.user, action=AuditEvent.Action.READ,
                     origin=request.origin, object_type="registry.room",
                     object_label=f"{data['facility']}/{data['room']}"[:300],
                     detail={"marker_check": bool(result)})
    return render(request, "registry/marker_check.html",
                  {"form": form, "result": result, "room": room})
