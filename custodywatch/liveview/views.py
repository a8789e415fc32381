"""Pages: the staff's live-view list and a record's viewers (signed in, scoped); a viewer's
link, code entry and watching page (no sign-in: the link is the key). Thin views."""

from __future__ import annotations

from collections.abc import Mapping

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.accounts.models import User
from custodywatch.custody import selectors as custody_selectors
from custodywatch.custody.models import CustodyRecord, Interrogation
from custodywatch.custody.services import can_write_custody
from custodywatch.liveview import codes, selectors, services, watch_requests
from custodywatch.liveview.forms import (
    CodeForm,
    IdentityCheckForm,
    ViewerForm,
    WatchDecisionForm,
    WatchOfferForm,
    WatchRequestForm,
    add_service_errors,
)
from custodywatch.liveview.models import Relationship, Viewer, WatchRequest
from custodywatch.liveview.services import LinkRefused, Refusal

COOKIE_SALT = "custodywatch.liveview"
COOKIE_MAX_AGE = 12 * 3600  # no interrogation lasts longer; the window is checked anyway
# The viewer's page shows the facility's time: Kazakhstan keeps one zone (UTC+5).
FACILITY_TIME_ZONE = settings.TIME_ZONE


def browser_cookie_name(viewer_id: int) -> str:
    return f"cwlive{int(viewer_id)}"


def browser_secret(request: Request, viewer_id: int) -> str | None:
    return request.get_signed_cookie(browser_cookie_name(viewer_id), default=None,
                                     salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)


# ------------------------------------------------------------------ staff


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    panels = selectors.live_now(user=request.user, origin=request.origin,
                                now=timezone.now())
    return render(request, "liveview/index.html", {"panels": panels})


def _record(request: AuthedRequest, pk: int) -> CustodyRecord:
    try:
        return custody_selectors.custody_record_detail(user=request.user, pk=pk,
                                                       origin=request.origin)
    except CustodyRecord.DoesNotExist:
        raise Http404(_("No such custody record in your scope.")) from None


def _render_record(request: AuthedRequest, record: CustodyRecord, form: ViewerForm | None = None,
                   status: int = 200) -> HttpResponse:
    panels = selectors.record_live_panels(user=request.user, record=record,
                                          origin=request.origin,
                                          now=timezone.now())
    context = {"record": record, "panels": panels, "form": form,
               "gap_seconds": services.gap_seconds(), "relationships": Relationship.choices,
               "can_write": can_write_custody(user=request.user, facility=record.facility,
                                              token=None)}
    return render(request, "liveview/record.html", context, status=status)


@login_required
def record(request: AuthedRequest, pk: int) -> HttpResponse:
    return _render_record(request, _record(request, pk))


def _public_url(request: Request, path: str) -> str:
    """An address a relative's phone can open: the configured public one, not the address
    the duty officer happened to reach the server by (often a loopback or intranet name)."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    return request.build_absolute_uri(path)


def _qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


@login_required
@require_POST
def viewer_add(request: AuthedRequest, pk: int) -> HttpResponse:
    record_ = _record(request, pk)
    form = ViewerForm(request.POST)
    if form.is_valid():
        try:
            interrogation = selectors.interrogation_in_record(
                user=request.user, record=record_, pk=form.cleaned_data["interrogation"])
        except Interrogation.DoesNotExist:
            raise Http404(_("No such interrogation in a transparent room.")) from None
        try:
            named = services.viewer_add(acting_user=request.user,
                                        origin=request.origin,
                                        interrogation=interrogation,
                                        full_name=form.cleaned_data["full_name"],
                                        relationship=form.cleaned_data["relationship"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            link = _public_url(request, reverse("liveview:open", args=[named.code]))
            return render(request, "liveview/slip.html", {
                "record": record_, "viewer": named.viewer, "interrogation": interrogation,
                "code": codes.shown(named.code), "link": link, "qr": _qr_data_uri(link),
                "code_page": _public_url(request, reverse("liveview:code"))})
    return _render_record(request, record_, form=form, status=422)


@login_required
@require_POST
def viewer_revoke(request: AuthedRequest, pk: int, viewer_pk: int) -> HttpResponse:
    record_ = _record(request, pk)
    try:
        viewer = selectors.viewer_in_record(user=request.user, record=record_,
                                            viewer_pk=viewer_pk)
    except Viewer.DoesNotExist:
        raise Http404(_("No such viewer.")) from None
    try:
        services.viewer_revoke(acting_user=request.user, origin=request.origin,
                               viewer=viewer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The link of %(name)s no longer opens anything.")
                         % {"name": viewer.full_name})
    return redirect("liveview:record", pk=record_.pk)


# ------------------------------------------------------------------ viewers (no sign-in)

# Lazy: translated when shown, in the viewer's language, not once at import.
REFUSALS = {
    Refusal.UNKNOWN: (403, gettext_lazy(
        "This link or code opens nothing. Check it, or ask the duty officer for a new one.")),
    Refusal.REVOKED: (403, gettext_lazy("This link was revoked by the facility.")),
    Refusal.NOT_STARTED: (403, gettext_lazy(
        "The interrogation has not started yet. Open the link again when it starts.")),
    Refusal.ENDED: (410, gettext_lazy(
        "The interrogation has ended. There is nothing more to watch.")),
    Refusal.OTHER_DEVICE: (403, gettext_lazy(
        "This link was already opened on another device. A link works only on the first "
        "device that opened it; ask the duty officer for a new one.")),
    Refusal.THROTTLED: (429, gettext_lazy(
        "Too many wrong codes from this address. Wait a quarter of an hour and try again.")),
    Refusal.NOT_HERE: (403, gettext_lazy(
        "This code does not open a room on this screen. Ask the prosecutor's office.")),
}


def refused(request: Request, reason: str) -> HttpResponse:
    status, message = REFUSALS.get(reason, REFUSALS[Refusal.UNKNOWN])
    return render(request, "liveview/refused.html",
                  {"message": message, "reason": reason, "ended": reason == Refusal.ENDED},
                  status=status)


def open_code(request: Request, code: str) -> HttpResponse:
    """Open a viewer's code in this browser and go to its watching page (or say why not)."""
    return _open(request, code)


def _open(request: Request, code: str) -> HttpResponse:
    origin = request.origin
    try:
        opened = services.link_open(code=code, origin=origin,
                                    browser_secret_of=lambda pk: browser_secret(request, pk))
    except LinkRefused as refusal:
        return refused(request, refusal.reason)
    response = redirect("liveview:watch", pk=opened.viewer.pk)
    response.set_signed_cookie(browser_cookie_name(opened.viewer.pk), opened.browser_secret,
                               salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE, httponly=True,
                               samesite="Lax", secure=request.is_secure())
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: Request, code: str) -> HttpResponse:
    """GET only shows a button: link previews of messengers must not use up the link."""
    if request.method == "POST":
        return _open(request, code)
    return render(request, "liveview/landing.html", {"code": code})


@never_cache
@require_http_methods(["GET", "POST"])
def code_entry(request: Request) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _open(request, form.cleaned_data["code"])
    return render(request, "liveview/code.html", {"form": form})


@never_cache
def watch(request: Request, pk: int) -> HttpResponse:
    try:
        viewer = services.viewer_for_browser(viewer_id=pk,
                                             browser_secret=browser_secret(request, pk))
    except LinkRefused as refusal:
        if refusal.reason == Refusal.UNKNOWN:
            return redirect("liveview:code")
        return refused(request, refusal.reason)
    watching = services.watching_start(viewer=viewer, origin=request.origin)
    interrogation = viewer.session.interrogation
    frame_url = reverse("api:live_viewer_frame", kwargs={"viewer_id": viewer.pk})
    return render(request, "liveview/watch.html", {
        "viewer": viewer, "interrogation": interrogation, "room": interrogation.room,
        "facility": interrogation.room.facility, "time_zone": FACILITY_TIME_ZONE,
        "frame_url": f"{frame_url}?watching={watching.pk}", "watching": watching})


# ------------------------------------------------------------------ requests to watch


@never_cache
@require_http_methods(["GET", "POST"])
def watch_request_new(request: Request) -> HttpResponse:
    """A relative or lawyer asks to watch (no account); an operator signed in takes the same
    request by telephone (the operator channel)."""
    form = WatchRequestForm(request.POST or None)
    operator = has_capability(request.user, Capability.REVIEW_WATCH_REQUESTS)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = watch_requests.watch_request_submit(
                origin=request.origin, requester_name=data["requester_name"],
                relationship=data["relationship"], contact=data["contact"],
                person_name=data["person_name"], facility=data.get("facility"),
                acting_user=request.user if operator and isinstance(request.user, User)
                else None)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if operator:
                return redirect("liveview:watch_request", made.pk)
            return render(request, "liveview/watch_request_sent.html", {"made": made})
    return render(request, "liveview/watch_request_new.html",
                  {"form": form, "operator": operator},
                  status=422 if request.method == "POST" else 200)


def _watch_staff(request: AuthedRequest) -> None:
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not (has_capability(request.user, Capability.REVIEW_WATCH_REQUESTS)
            or has_capability(request.user, Capability.DECIDE_WATCH_REQUESTS)):
        raise PermissionDenied


@login_required
def watch_request_list(request: AuthedRequest) -> HttpResponse:
    _watch_staff(request)
    requests = selectors.watch_request_list(user=request.user,
                                            origin=request.origin)
    return render(request, "liveview/watch_requests.html", {"requests": requests})


def _watch_request(request: AuthedRequest, pk: int) -> WatchRequest:
    _watch_staff(request)
    try:
        return selectors.watch_request_detail(user=request.user, pk=pk,
                                              origin=request.origin)
    except WatchRequest.DoesNotExist:
        raise Http404(_("No such request in your scope.")) from None


def _render_watch_request(request: AuthedRequest, made: WatchRequest, status: int = 200,
                          offered: dict[str, object] | None = None,
                          forms: Mapping[str, Form] | None = None) -> HttpResponse:
    forms = forms or {}
    context = {"made": made, "missing": selectors.watch_links_missing(request=made),
               "interrogations": list(watch_requests.interrogations_for(made)),
               "check_form": forms.get("check_form") or IdentityCheckForm(),
               "decision_form": forms.get("decision_form") or WatchDecisionForm(),
               "offered": offered}
    return render(request, "liveview/watch_request.html", context, status=status)


@login_required
def watch_request(request: AuthedRequest, pk: int) -> HttpResponse:
    return _render_watch_request(request, _watch_request(request, pk))


@login_required
@require_POST
def watch_request_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    made = _watch_request(request, pk)
    origin = request.origin
    if action == "check":
        form: Form = IdentityCheckForm(request.POST)
        key = "check_form"
        if form.is_valid():
            try:
                watch_requests.watch_request_check_identity(
                    acting_user=request.user, origin=origin, request=made,
                    custody_record_id=form.cleaned_data["custody_record"],
                    document=form.cleaned_data["document"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Identity checked: the request is with the "
                                            "prosecutor."))
                return redirect("liveview:watch_request", made.pk)
    elif action in ("grant", "refuse"):
        form = WatchDecisionForm(request.POST)
        key = "decision_form"
        if form.is_valid():
            try:
                watch_requests.watch_request_decide(
                    acting_user=request.user, origin=origin, request=made,
                    grant=action == "grant", note=form.cleaned_data["note"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("liveview:watch_request", made.pk)
    elif action == "offer":
        form = WatchOfferForm(request.POST)
        key = "offer_form"
        if form.is_valid():
            interrogation = watch_requests.interrogations_for(made).filter(
                pk=form.cleaned_data["interrogation"]).first()
            if interrogation is None:
                raise Http404(_("No such interrogation of this person."))
            try:
                named = watch_requests.watch_link_offer(
                    acting_user=request.user, origin=origin, request=made,
                    interrogation=interrogation)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("liveview:watch_request", made.pk)
            link = _public_url(request, reverse("liveview:open", args=[named.code]))
            return _render_watch_request(request, made, offered={
                "code": codes.shown(named.code), "link": link,
                "interrogation": interrogation})
    else:
        raise Http404
    return _render_watch_request(request, made, status=422, forms={key: form})
