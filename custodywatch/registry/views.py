from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from custodywatch.accounts.audit import Origin
from custodywatch.registry import selectors, services
from custodywatch.registry.csv_import import KINDS, RegistryImportError
from custodywatch.registry.forms import FacilityFilterForm, RegistryImportForm
from custodywatch.registry.models import Facility

PAGE_SIZE = 50


@login_required
def facility_list(request: HttpRequest) -> HttpResponse:
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
def facility_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        facility = selectors.facility_detail(
            user=request.user, code=code, origin=Origin.from_request(request)
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
def registry_import(request: HttpRequest) -> HttpResponse:
    if request.user.role not in services.REGISTRY_EDITORS:
        raise PermissionDenied
    form = RegistryImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.registry_import(
                acting_user=request.user,
                origin=Origin.from_request(request),
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
