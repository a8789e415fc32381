"""Pages of mass detention (issue 22, item 7) and of "where is he held?" (item 8)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.policies import FACILITY_POLICY
from custodywatch.accounts.scoping import region_q
from custodywatch.custody import forms_mass, intake, mass, services, whereabouts
from custodywatch.custody.forms import add_service_errors
from custodywatch.custody.models_mass import MassDetention, MeasureReview
from custodywatch.custody.views import _facility, _record
from custodywatch.registry.models import Region


def _regions(request: AuthedRequest) -> QuerySet[Region]:
    return Region.objects.filter(region_q(request.user)).order_by("code")


@login_required
def mass_index(request: AuthedRequest) -> HttpResponse:
    if not mass.may_open(request.user):
        raise PermissionDenied
    form = forms_mass.DeclareForm(request.POST or None, regions=_regions(request))
    if request.method == "POST" and form.is_valid():
        try:
            event = mass.mass_detention_declare(
                acting_user=request.user, origin=request.origin,
                name=form.cleaned_data["name"], region=form.cleaned_data["region"],
                reason=form.cleaned_data["reason"],
                started_at=form.cleaned_data["started_at"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Mass detention mode is on."))
            return redirect("custody:mass_detail", pk=event.pk)
    events = list(mass.mass_detentions_visible(user=request.user))
    rows = [(event, mass.review_progress(user=request.user, event=event)) for event in events]
    return render(request, "custody/mass_index.html", {
        "rows": rows, "form": form,
        "can_declare": has_capability(request.user, Capability.DECLARE_MASS_DETENTION)},
        status=422 if request.method == "POST" else 200)


def _event(request: AuthedRequest, pk: int) -> MassDetention:
    event = mass.mass_detentions_visible(user=request.user).filter(pk=pk).first()
    if event is None:
        raise Http404(_("No such mass detention in your scope."))
    return event


def _render_detail(request: AuthedRequest, event: MassDetention, status: int = 200,
                   place_form: forms_mass.PlaceForm | None = None) -> HttpResponse:
    origin = request.origin
    queue = mass.review_queue(user=request.user, event=event, origin=origin)
    return render(request, "custody/mass_detail.html", {
        "event": event, "progress": mass.review_progress(user=request.user, event=event),
        "queue": queue, "places": event.places.select_related("facility__region"),
        "place_form": place_form or forms_mass.PlaceForm(
            regions=_regions(request), initial={"region": event.region}),
        "can_declare": has_capability(request.user, Capability.DECLARE_MASS_DETENTION),
        "can_register": has_capability(request.user, Capability.REGISTER_TEMPORARY_PLACE),
    }, status=status)


@login_required
def mass_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    if not mass.may_open(request.user):
        raise PermissionDenied
    return _render_detail(request, _event(request, pk))


@login_required
@require_POST
def mass_end(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    try:
        mass.mass_detention_end(acting_user=request.user, origin=request.origin,
                                event=event)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Mass detention mode is off."))
    return redirect("custody:mass_detail", pk=event.pk)


@login_required
@require_POST
def mass_place_new(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    form = forms_mass.PlaceForm(request.POST, regions=_regions(request))
    if form.is_valid():
        try:
            place = mass.temporary_place_register(
                acting_user=request.user, origin=request.origin, event=event,
                region=form.cleaned_data["region"], agency=form.cleaned_data["agency"],
                name=form.cleaned_data["name"], address=form.cleaned_data["address"],
                areas=form.area_list())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _(
                "Temporary place %(code)s registered. It is blind until its cameras are "
                "approved.") % {"code": place.facility.code})
            return redirect("custody:mass_detail", pk=event.pk)
    elif not has_capability(request.user, Capability.REGISTER_TEMPORARY_PLACE):
        raise PermissionDenied
    return _render_detail(request, event, status=422, place_form=form)


@login_required
def review_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    origin = request.origin
    try:
        review = mass.review_for_decision(user=request.user, pk=pk, origin=origin)
    except MeasureReview.DoesNotExist:
        raise Http404(_("No such review in your scope.")) from None
    form = forms_mass.ReviewForm(request.POST or None,
                                 initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            mass.measure_review_decide(acting_user=request.user, origin=origin, review=review,
                                       **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("custody:mass_detail", pk=review.mass_detention_id)
    return render(request, "custody/review.html", {"review": review, "form": form},
                  status=422 if request.method == "POST" else 200)


@login_required
def intake_upload(request: AuthedRequest, code: str) -> HttpResponse:
    facility = _facility(request, code)
    if not services.can_write_custody(user=request.user, facility=facility, token=None):
        raise PermissionDenied
    form = forms_mass.IntakeForm(request.POST or None, request.FILES or None)
    errors: list[intake.LineError] = []
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > intake.MAX_BYTES:  # refused before it is read into memory
                raise intake.IntakeError([intake.LineError(0, "-", _(
                    "At most %(n)s MB a file.") % {"n": intake.MAX_BYTES // (1024 * 1024)})])
            result = intake.bulk_intake(
                acting_user=request.user, origin=request.origin,
                facility=facility, content=upload.read(), file_name=upload.name)
        except intake.IntakeError as error:
            errors, status = error.errors, 422
    elif request.method == "POST":
        status = 422
    return render(request, "custody/intake.html", {
        "facility": facility, "form": form, "errors": errors, "result": result,
        "intakes": intake.intakes_of(facility=facility), "columns": intake.COLUMNS,
        "required": intake.REQUIRED}, status=status)


@login_required
def incommunicado(request: AuthedRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    if not FACILITY_POLICY.can(request.user, "record_incommunicado_order", record.facility_id):
        raise PermissionDenied
    form = forms_mass.IncommunicadoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            whereabouts.incommunicado_order_record(
                acting_user=request.user, origin=request.origin, record=record,
                **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Incommunicado order recorded."))
            return redirect("custody:incommunicado", pk=record.pk)
    return render(request, "custody/incommunicado.html", {
        "record": record, "form": form,
        "orders": record.incommunicado_orders.select_related("recorded_by")},
        status=422 if request.method == "POST" else 200)


@login_required
def whereabouts_lawyer(request: AuthedRequest) -> HttpResponse:
    if not has_capability(request.user, Capability.LOOKUP_WHEREABOUTS_AS_LAWYER):
        raise PermissionDenied
    form = forms_mass.LawyerLookupForm(request.POST or None)
    answer, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                answer = whereabouts.lawyer_lookup(acting_user=request.user,
                                                   origin=request.origin,
                                                   **form.cleaned_data)
                status = 200
            except whereabouts.RateLimited as error:
                form.add_error(None, str(error))
                status = 429
            except ValidationError as error:
                add_service_errors(form, error)
    return render(request, "custody/whereabouts.html", {
        "form": form, "answer": answer,
        "licence": whereabouts.licence_in_force(request.user, timezone.now())}, status=status)


@login_required
def whereabouts_operator(request: AuthedRequest) -> HttpResponse:
    if not has_capability(request.user, Capability.CHECK_RELATIVE_IDENTITY):
        raise PermissionDenied
    form = forms_mass.IdentityCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = whereabouts.identity_check_record(
                acting_user=request.user, origin=request.origin,
                **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Identity check recorded."))
            return redirect(reverse("custody:whereabouts_operator") + f"#check-{check.pk}")
    return render(request, "custody/whereabouts_operator.html", {
        "form": form, "checks": whereabouts.checks_of(user=request.user)},
        status=422 if request.method == "POST" else 200)


@login_required
@require_POST
def whereabouts_relative(request: AuthedRequest, pk: int) -> HttpResponse:
    """The operator asks for the relative of identity check ``pk`` (his own)."""
    if not has_capability(request.user, Capability.LOOKUP_WHEREABOUTS_FOR_RELATIVE):
        raise PermissionDenied
    check = whereabouts.check_of(user=request.user, pk=pk)
    try:
        answer = whereabouts.relative_lookup(acting_user=request.user,
                                             origin=request.origin, check=check)
    except whereabouts.RateLimited as error:
        messages.error(request, str(error))
        return redirect("custody:whereabouts_operator")
    return render(request, "custody/whereabouts_answer.html", {"answer": answer,
                                                                "check": check})
