"""Pages: intake (web, kiosk, operator), the complainant's status page, inbox, complaint page,
statistics and export. Thin: forms check, services write, selectors read."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import BaseForm, Form
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from custodywatch.accounts.audit import audit_record
from custodywatch.accounts.capabilities import (
    Capability,
    has_capability,
    is_region_bound,
    roles_with,
)
from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.complaints import languages, receipts, rules, selectors, services, terminals
from custodywatch.complaints import ledger_rows as complaint_ledger_rows
from custodywatch.complaints.attachments import open_verified
from custodywatch.complaints.forms import (
    CloseForm,
    ComplainantReplyForm,
    ComplaintForm,
    IdentityRequestForm,
    InboxFilterForm,
    KioskForm,
    LinkCustodyForm,
    OfficialMessageForm,
    OperatorForm,
    ReassignForm,
    ReceiptCodeForm,
    TerminalAddForm,
    TerminalEnrolForm,
    TriageForm,
)
from custodywatch.complaints.languages import detainee_pages
from custodywatch.complaints.models import (
    Attachment,
    Channel,
    Complaint,
    IdentityAccess,
    Terminal,
    TerminalAlert,
    TimelineEvent,
)
from custodywatch.complaints.page import ACTIONS, detail_sections
from custodywatch.complaints.preservation import preservation_summary
from custodywatch.core.actions import add_service_errors
from custodywatch.core.idempotency import idempotent
from custodywatch.core.sealing import SealingError
from custodywatch.core.stored_files import StoredFileDamaged, refusal
from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import Facility, Region

PAGE_SIZE = 50
# Each language named in itself: the person at the terminal may read only one of them.
KIOSK_LANGUAGES = languages.DETAINEE_LANGUAGES


def _identity(data: dict) -> services.Identity:
    return services.Identity(full_name=data.get("full_name", ""), contact=data.get("contact", ""),
                             relation=data.get("relation", ""))


def _qr_data_uri(code: str) -> str:
    return segno.make(code, error="m").svg_data_uri(scale=6, border=2)


def _receipt_context(filed: services.FiledComplaint) -> dict:
    return {"complaint": filed.complaint, "receipt_code": filed.receipt_code,
            "short_code": receipts.is_short(filed.receipt_code),
            "proof": filed.proof_of_filing, "qr": _qr_data_uri(filed.receipt_code)}


def _file(request: Request, form: ComplaintForm, channel: Channel,
          facility: Facility | None = None, still_in_custody: bool = False,
          terminal: Terminal | None = None) -> services.FiledComplaint | None:
    data = form.cleaned_data
    try:
        return services.complaint_file(
            acting_user=request.user if request.user.is_authenticated else None,
            origin=request.origin, channel=channel, text=data["text"],
            facility=facility or data.get("facility"), region=data.get("region"),
            accused_officers=data.get("accused_officers", ""),
            incident_started_at=data.get("incident_started_at"),
            incident_ended_at=data.get("incident_ended_at"),
            still_in_custody=still_in_custody or data.get("still_in_custody", False),
            anonymous=data.get("anonymous", False), identity=_identity(data),
            attachments=data.get("attachments") or [], terminal=terminal,
            pin=data.get("pin", ""))
    except ValidationError as error:
        add_service_errors(form, error)
        return None


# ------------------------------------------------------------------ public web form


@never_cache
@require_http_methods(["GET", "POST"])
def intake(request: Request) -> HttpResponse:
    form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        filed = _file(request, form, Channel.WEB)
        if filed is not None:
            return render(request, "complaints/receipt.html", _receipt_context(filed) | {
                "status_url": _status_url(request)})
    return render(request, "complaints/intake.html", {"form": form}, status=(
        422 if request.method == "POST" else 200))


# ------------------------------------------------------------------ kiosk


def _kiosk_facility(code: str) -> Facility:
    return get_object_or_404(Facility, code=code, is_active=True)


def _wipe(request: Request) -> None:
    # A kiosk keeps nothing from one person to the next: no session, no language, no cookie.
    request.session.flush()


def _refuse_staff_browser(request: Request, facility: Facility) -> HttpResponse | None:
    """A kiosk never ends a staff session (a link to it signed staff out) and never runs
    beside one: a browser signed in to CustodyWatch is told to sign out first, itself."""
    if not request.user.is_authenticated:
        return None
    return render(request, "complaints/kiosk_signed_in.html", {"facility": facility},
                  status=409)


@detainee_pages
@never_cache
def kiosk_start(request: Request, facility_code: str) -> HttpResponse:
    facility = _kiosk_facility(facility_code)
    if (refused := _refuse_staff_browser(request, facility)) is not None:
        return refused
    _wipe(request)
    reason = terminals.kiosk_refusal(terminals.terminal_of(request), facility)
    response = render(request, "complaints/kiosk_start.html",
                      {"facility": facility, "kiosk_languages": KIOSK_LANGUAGES,
                       "not_enrolled": reason, "heartbeat": not reason, "offline": not reason})
    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


def _refuse_unenrolled(request: Request, facility: Facility
                       ) -> tuple[Terminal | None, HttpResponse | None]:
    """Only an enrolled terminal of this facility files as its kiosk: anything else is told
    why, with a 403, and files nothing (complaints/terminals.py)."""
    terminal = terminals.terminal_of(request)
    reason = terminals.kiosk_refusal(terminal, facility)
    if not reason:
        return terminal, None
    services.kiosk_refused(origin=request.origin, facility=facility,
                           reason=reason)
    return None, render(request, "complaints/kiosk_not_enrolled.html",
                        {"facility": facility, "reason": reason}, status=403)


@detainee_pages
@never_cache
@require_http_methods(["GET", "POST"])
def kiosk_form(request: Request, facility_code: str) -> HttpResponse:
    facility = _kiosk_facility(facility_code)
    if (refused := _refuse_staff_browser(request, facility)) is not None:
        return refused
    terminal, refused = _refuse_unenrolled(request, facility)
    if refused is not None:
        return refused
    form = KioskForm(request.POST or None, request.FILES or None, kiosk_facility=facility)
    if request.method == "POST" and form.is_valid():
        accused = form.cleaned_data.get("facility") or facility
        # At the terminal of the facility he complains about, he is in its custody now.
        filed = _file(request, form, Channel.KIOSK, facility=accused,
                      still_in_custody=accused == facility, terminal=terminal)
        if filed is not None:
            _wipe(request)
            context = _receipt_context(filed) | {"facility": facility,
                                                 "status_url": _status_url(request)}
            return render(request, "complaints/kiosk_receipt.html", context)
    return render(request, "complaints/kiosk_form.html",
                  {"form": form, "facility": facility, "heartbeat": True, "offline": True,
                   "status_url": _status_url(request)},
                  status=422 if request.method == "POST" else 200)


@detainee_pages
@receipts.terminal_cookie
@never_cache
@require_http_methods(["GET", "POST"])
def kiosk_status(request: Request, facility_code: str) -> HttpResponse:
    """The kiosk's own status entry: the answer read at the terminal with the code and PIN
    (no reply from here; nothing of it stays in the browser)."""
    facility = _kiosk_facility(facility_code)
    if (refused := _refuse_staff_browser(request, facility)) is not None:
        return refused
    form = ReceiptCodeForm(request.POST or None)
    context = {"facility": facility, "form": form, "status_url": _status_url(request)}
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            opened = services.complainant_open(
                code=code, origin=request.origin,
                terminal=receipts.terminal_of(request), pin=form.cleaned_data["pin"])
        except services.ReceiptThrottled:
            return render(request, "complaints/status_throttled.html", status=429)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            form.add_error("code", _("No complaint has this code and PIN. Check them and try "
                                     "again.") if receipts.is_short(code) else
                           _("No complaint has this receipt code. Check it and try again."))
            return render(request, "complaints/kiosk_status.html", context, status=403)
        else:
            _wipe(request)
            return render(request, "complaints/kiosk_status.html",
                          context | selectors.complainant_view(opened))
    return render(request, "complaints/kiosk_status.html", context,
                  status=422 if request.method == "POST" else 200)


@csrf_exempt  # the terminal's credential cookie is SameSite=Strict: no other site sends it
@never_cache
@require_POST
@idempotent
def kiosk_queue(request: Request, facility_code: str) -> HttpResponse:
    """A complaint an enrolled terminal stored while offline (complaints.js), sent when the
    network returned, with an Idempotency-Key: a retry returns the first answer, so a
    complaint is never filed twice. JSON in (the kiosk form's fields, the short code the
    terminal drew and showed, the PIN), JSON out (its reference)."""
    facility = _kiosk_facility(facility_code)
    terminal = terminals.terminal_of(request)
    if reason := terminals.kiosk_refusal(terminal, facility):
        services.kiosk_refused(origin=request.origin, facility=facility,
                               reason=reason)
        return JsonResponse({"detail": reason}, status=403)
    try:
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"detail": "body: a JSON object is expected."}, status=400)
    form = KioskForm({key: value for key, value in payload.items() if key != "code"},
                     kiosk_facility=facility)
    if not form.is_valid():
        return JsonResponse({"detail": form.errors.get_json_data()}, status=422)
    accused = form.cleaned_data.get("facility") or facility
    data = form.cleaned_data
    try:
        filed = services.complaint_file(
            acting_user=None, origin=request.origin, channel=Channel.KIOSK,
            text=data["text"], facility=accused,
            accused_officers=data.get("accused_officers", ""),
            still_in_custody=accused == facility or data.get("still_in_custody", False),
            anonymous=data.get("anonymous", False), identity=_identity(data),
            terminal=terminal, pin=data.get("pin", ""),
            short_code=str(payload.get("code", "")))
    except ValidationError as error:
        return JsonResponse({"detail": error.message_dict if hasattr(error, "error_dict")
                             else error.messages}, status=422)
    return JsonResponse({"reference": filed.complaint.reference}, status=201)


def kiosk_service_worker(request: Request) -> HttpResponse:
    """The kiosk's service worker, served under /complaints/kiosk/ so that its scope is the
    kiosk's pages (complaints/static/complaints/kiosk-sw.js)."""
    source = finders.find("complaints/kiosk-sw.js")
    if source is None:  # shipped in the package: only a broken install lacks it
        raise ImproperlyConfigured("complaints/kiosk-sw.js is not among the static files.")
    with open(source, encoding="utf-8") as handle:
        response = HttpResponse(handle.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@detainee_pages
@require_http_methods(["GET"])
def rights(request: Request) -> HttpResponse:
    """The rights leaflet, printable, in the languages of the people held."""
    return render(request, "complaints/rights.html", {
        "status_url": _status_url(request),
        "detainee_languages": languages.options(translation.get_language() or "")})


@detainee_pages
@never_cache
@require_http_methods(["GET"])
def kiosk_rights(request: Request, facility_code: str) -> HttpResponse:
    """The rights leaflet on the terminal (printed on its printer)."""
    facility = _kiosk_facility(facility_code)
    if (refused := _refuse_staff_browser(request, facility)) is not None:
        return refused
    return render(request, "complaints/kiosk_rights.html", {
        "facility": facility, "status_url": _status_url(request),
        "detainee_languages": languages.options(translation.get_language() or "")})


# ------------------------------------------------------------------ terminals as devices


@never_cache
@require_http_methods(["GET", "POST"])
def terminal_enrol(request: Request) -> HttpResponse:
    """On the device: the one-time enrolment code gives this browser its credential."""
    form = TerminalEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            terminal, credential = terminals.terminal_enrol(
                code=form.cleaned_data["code"], origin=request.origin)
        except PermissionDenied as error:
            form.add_error("code", str(error))
            return render(request, "complaints/terminal_enrol.html", {"form": form},
                          status=403)
        response = (redirect("waiting_room_screen")
                    if terminal.kind == Terminal.Kind.WAITING_ROOM
                    else redirect("complaints:kiosk", terminal.facility.code))
        terminals.set_credential(response, request, credential)
        return response
    return render(request, "complaints/terminal_enrol.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


@csrf_exempt  # the credential cookie is SameSite=Strict: no other site can send it
@never_cache
@require_POST
def terminal_heartbeat(request: Request) -> HttpResponse:
    terminal = terminals.terminal_of(request)
    if terminal is None:
        return HttpResponse(_("This browser is not an enrolled complaint terminal."),
                            status=403, content_type="text/plain; charset=utf-8")
    terminals.heartbeat(terminal=terminal)
    return HttpResponse(status=204)


# ------------------------------------------------------------------ complainant's status page


def _open_with_code(request: Request, code: str, pin: str = "") -> Complaint | HttpResponse:
    try:
        return services.complainant_open(code=code, origin=request.origin,
                                         terminal=receipts.terminal_of(request), pin=pin)
    except services.ReceiptThrottled:
        return render(request, "complaints/status_throttled.html", status=429)
    except ValidationError as error:
        form = ReceiptCodeForm({"code": code})
        form.is_valid()
        add_service_errors(form, error)
        return render(request, "complaints/status_code.html", {"form": form}, status=422)
    except PermissionDenied:
        form = ReceiptCodeForm({"code": code})
        form.is_valid()
        form.add_error("code", _("No complaint has this code and PIN. Check them and try again.")
                       if receipts.is_short(code) else
                       _("No complaint has this receipt code. Check it and try again."))
        return render(request, "complaints/status_code.html", {"form": form}, status=403)


def _status_page(request: Request, complaint: Complaint, code: str,
                 reply_form: ComplainantReplyForm | None = None, status: int = 200,
                 pin: str = "") -> HttpResponse:
    context = selectors.complainant_view(complaint) | {
        "reply_form": reply_form or ComplainantReplyForm(initial={"code": code, "pin": pin}),
        "status_url": _status_url(request)}
    return render(request, "complaints/status.html", context, status=status)


@detainee_pages
@receipts.terminal_cookie
@never_cache
@require_http_methods(["GET", "POST"])
def status(request: Request) -> HttpResponse:
    """The code travels in a POST body only: never in a URL, a log line or the history."""
    # A language switched before any code was typed only re-renders the empty form.
    form = ReceiptCodeForm(request.POST if request.POST.get("code") else None)
    language = _status_language(request)
    if request.method == "POST" and form.is_valid():
        code, pin = form.cleaned_data["code"], form.cleaned_data["pin"]
        opened = _open_with_code(request, code, pin)
        if isinstance(opened, HttpResponse):
            return _in_language(opened, language)
        return _in_language(_status_page(request, opened, code, pin=pin), language)
    return _in_language(render(request, "complaints/status_code.html",
                               {"form": form, "status_url": _status_url(request)}), language)


def _status_url(request: Request) -> str:
    """The status page's address to tell a person (the public one where configured)."""
    path = reverse("complaints:status")
    return settings.PUBLIC_BASE_URL + path if settings.PUBLIC_BASE_URL else \
        request.build_absolute_uri(path)


def _status_language(request: Request) -> str | None:
    """The language chosen inside the status form (posted with the code, so that switching it
    keeps the complaint open); it applies to this answer and is remembered as usual."""
    language = request.POST.get("language", "")
    if language in languages.CODES:
        languages.activate(request, language)
        return language
    return None


def _in_language(response: HttpResponse, language: str | None) -> HttpResponse:
    if language is not None:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                            secure=settings.LANGUAGE_COOKIE_SECURE)
    return response


@detainee_pages
@receipts.terminal_cookie
@never_cache
@require_POST
def status_reply(request: Request) -> HttpResponse:
    form = ComplainantReplyForm(request.POST, request.FILES)
    opened = _open_with_code(request, request.POST.get("code", ""), request.POST.get("pin", ""))
    if isinstance(opened, HttpResponse):
        return opened
    if form.is_valid():
        try:
            services.complainant_reply(complaint=opened, origin=request.origin,
                                       body=form.cleaned_data["body"],
                                       attachments=form.cleaned_data["attachments"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your message was sent."))
            return _status_page(request, opened, form.cleaned_data["code"],
                                pin=form.cleaned_data["pin"])
    return _status_page(request, opened, request.POST.get("code", ""), form, status=422,
                        pin=request.POST.get("pin", ""))


# ------------------------------------------------------------------ officials


def _capability_only(
    capability: Capability,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        @login_required
        def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_capability(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


handlers_only = _capability_only(Capability.HANDLE_COMPLAINTS)
# Operators also include NPM monitors, who take complaints down on a visit (services decide).
operators_only = _capability_only(Capability.TAKE_COMPLAINT_BY_OPERATOR)
terminal_managers_only = _capability_only(Capability.MANAGE_TERMINALS)


@terminal_managers_only
@require_http_methods(["GET", "POST"])
def terminal_list(request: AuthedRequest) -> HttpResponse:
    """The complaint terminals in the person's scope, their state and alerts; add one."""
    facilities = Facility.objects.filter(facility_q(request.user), is_active=True)
    form = TerminalAddForm(request.POST or None, facilities=facilities)
    enrolment_code = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                terminal, enrolment_code = terminals.terminal_add(
                    acting_user=request.user, origin=request.origin,
                    facility=form.cleaned_data["facility"], place=form.cleaned_data["place"],
                    kind=form.cleaned_data["kind"] or Terminal.Kind.KIOSK)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                status, form = 200, TerminalAddForm(facilities=facilities)
                messages.success(request, _("Terminal %(terminal)s added. Type the code below "
                                            "on the terminal itself within 24 hours.")
                                 % {"terminal": terminal.pk})
    return _terminal_page(request, form, enrolment_code, status)


def _terminal_page(request: AuthedRequest, form: Form, enrolment_code: str | None,
                   status: int = 200) -> HttpResponse:
    rows = terminals.terminals_visible(user=request.user).select_related("facility")
    if facility_code := request.GET.get("facility", ""):
        rows = rows.filter(facility__code=facility_code)
    listed = list(rows)
    open_alerts = dict(TerminalAlert.objects.filter(
        terminal__in=listed, cleared_at__isnull=True).values_list("terminal_id", "silent_since"))
    audit_record(actor=request.user, action=AuditEvent.Action.LIST,
                 origin=request.origin, object_type="complaints.terminal",
                 detail={"terminals": len(listed)})
    return render(request, "complaints/terminals.html", {
        "form": form, "enrolment_code": enrolment_code,
        "silent_minutes": int(terminals.silent_after().total_seconds() // 60),
        "rows": [(terminal, open_alerts.get(terminal.pk)) for terminal in listed]}, status=status)


@terminal_managers_only
@require_POST
def terminal_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    terminal = get_object_or_404(terminals.terminals_visible(user=request.user), pk=pk)
    origin = request.origin
    if action == "revoke":
        terminals.terminal_revoke(acting_user=request.user, origin=origin, terminal=terminal)
        messages.success(request, _("Terminal %(terminal)s revoked: it can no longer file "
                                    "complaints.") % {"terminal": terminal.pk})
        return redirect("complaints:terminals")
    if action == "reenrol":
        code = terminals.terminal_reenrol(acting_user=request.user, origin=origin,
                                          terminal=terminal)
        return _terminal_page(request, TerminalAddForm(facilities=Facility.objects.filter(
            facility_q(request.user), is_active=True)), code)
    raise Http404


def _inbox_filters(form: InboxFilterForm) -> selectors.InboxFilters:
    # The valid filters apply even where another is not (a bad date): never fewer filters.
    if form.is_bound:
        form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return selectors.InboxFilters(
        status=data.get("status", ""), category=data.get("category", ""),
        channel=data.get("channel", ""), region_code=data.get("region", ""),
        urgency=data.get("urgency", ""), mine=data.get("mine", False),
        overdue=data.get("overdue", False), text=data.get("q", ""),
        facility_code=data.get("facility", ""), allegations=data.get("allegations", False),
        happened_from=data.get("happened_from"), happened_to=data.get("happened_to"))


def _visible_regions(user: User) -> list[Region]:
    if is_region_bound(user):
        return ([] if user.region_id is None
                else list(Region.objects.filter(pk=user.region_id)))
    return list(Region.objects.all())


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET or None, regions=_visible_regions(request.user))
    complaints = selectors.complaint_inbox(user=request.user, origin=request.origin,
                                           filters=_inbox_filters(form))
    page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(),
               "to_decide": selectors.identity_accesses_to_decide(user=request.user)}
    if request.htmx and request.htmx.target == "complaint-results":
        return render(request, "complaints/inbox.html#results", context)
    return render(request, "complaints/inbox.html", context)


@login_required
def export_csv(request: AuthedRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET or None, regions=_visible_regions(request.user))
    rows = selectors.complaint_export_rows(user=request.user,
                                           origin=request.origin,
                                           filters=_inbox_filters(form))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="complaints.csv"'
    writer = csv.writer(response)
    writer.writerow(selectors.EXPORT_COLUMNS)
    writer.writerows(rows)
    return response


@operators_only
@require_http_methods(["GET", "POST"])
def operator_intake(request: AuthedRequest) -> HttpResponse:
    form = OperatorForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        filed = _file(request, form, Channel(form.cleaned_data["channel"]))
        if filed is not None:
            return render(request, "complaints/receipt.html", _receipt_context(filed) | {
                "operator": True, "status_url": _status_url(request)})
    return render(request, "complaints/operator.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


def _eligible_handlers(complaint: Complaint) -> list[User]:
    people = User.objects.filter(is_active=True, role__in=roles_with(
        Capability.HANDLE_COMPLAINTS)).filter(
        Q(region__isnull=True) | Q(region_id=complaint.region_id))
    return [p for p in people if services._eligible_handler(complaint, p)]


def _timeline(complaint: Complaint, visible: frozenset[str]) -> list:
    """The timeline; a "case opened" event names the case only to those who may open it
    (``visible``: their register numbers, from the page's sections, complaints/page.py)."""
    events = list(complaint.timeline.select_related("actor"))
    for event in events:
        if event.kind == TimelineEvent.Kind.CASE_OPENED and event.note not in visible:
            event.note = ""
    return events


def _detail_context(request: AuthedRequest, complaint: Complaint,
                    forms: Mapping[str, BaseForm] | None = None,
                    identity: dict[str, Any] | None = None) -> dict[str, Any]:
    forms = forms or {}
    user = request.user
    # A row changed behind the application's back is shown as such, loudly (issue 17 item 6).
    ledger_mismatch = complaint_ledger_rows.complaint_row_findings(complaint)
    for name in ("_text", "_accused"):
        try:
            complaint.text if name == "_text" else complaint.accused_officers  # noqa: B018
        except SealingError:
            complaint.__dict__[name] = ""  # does not open: the mismatch above says so
    handlers = _eligible_handlers(complaint)
    # What the apps above complaints add (cases: its cases and the accused officers).
    sections = detail_sections(request, complaint, forms)
    return {
        "complaint": complaint,
        "close_form": forms.get("close_form") or CloseForm(),
        "burst_limit": rules.TERMINAL_BURST_LIMIT,
        "burst_minutes": int(rules.TERMINAL_BURST_WINDOW.total_seconds() // 60),
        "ledger_mismatch": ledger_mismatch,
        "clocks": selectors.complaint_clocks(complaint),
        "timeline": _timeline(complaint, sections.visible_cases),
        "messages_": complaint.messages.select_related("author"),
        "attachments": complaint.attachments.all(),
        "holds": complaint.legal_holds.prefetch_related("rooms"),
        "footage": (footage := list(selectors.held_footage(complaint=complaint)[:200])),
        "preservation": preservation_summary(footage),
        "transfer": selectors.complaint_transfer_alert(complaint),
        "may_see_identity": selectors.may_see_identity_of(user=user, complaint=complaint),
        "accesses": complaint.identity_accesses.filter(requested_by=user),
        "triage_form": forms.get("triage_form") or TriageForm(
            initial={"category": complaint.category, "urgency": complaint.urgency}),
        "message_form": forms.get("message_form") or OfficialMessageForm(),
        "reassign_form": forms.get("reassign_form") or ReassignForm(
            handlers=User.objects.filter(pk__in=[h.pk for h in handlers])),
        "identity_form": forms.get("identity_form") or IdentityRequestForm(),
        "link_form": forms.get("link_form") or LinkCustodyForm(),
        "identity": identity,
        **sections.context,
    }


def _complaint_for(request: AuthedRequest, pk: int) -> Complaint:
    try:
        return selectors.complaint_detail(user=request.user, pk=pk,
                                          origin=request.origin)
    except Complaint.DoesNotExist:
        raise Http404(_("No such complaint in your scope.")) from None


@handlers_only
def complaint_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    complaint = _complaint_for(request, pk)
    return render(request, "complaints/detail.html", _detail_context(request, complaint))


@handlers_only
def attachment_download(request: AuthedRequest, pk: int, attachment_pk: int
                        ) -> HttpResponse | FileResponse:
    try:
        attachment = selectors.attachment_for_download(
            user=request.user, complaint_pk=pk, attachment_pk=attachment_pk,
            origin=request.origin)
    except Attachment.DoesNotExist:
        raise Http404 from None
    try:
        handle = open_verified(attachment)
    except StoredFileDamaged as error:
        # A damaged file is never sent as if it were the evidence received (docs/reliability.md).
        return refusal(error)
    # Always a download, never rendered in the page: a complainant's file is untrusted.
    response = FileResponse(handle, as_attachment=True,
                            filename=attachment.original_name,
                            content_type="application/octet-stream")
    response["X-Content-SHA256"] = attachment.sha256
    return response


# The complaint page's actions (ACTIONS, complaints/page.py): name, form, service call
# (core.actions); every one is for the complaint's handlers (`handlers_only` on the view, the
# services check the rest). `slot`: the page's form that shows the errors; without one they
# are shown above the page. Cases adds its own (cases/complaint_page.py).


@ACTIONS.action("triage", slot="triage_form",
                form=lambda request, complaint: TriageForm(request.POST))
def _triage(request: AuthedRequest, complaint: Complaint, form: TriageForm) -> None:
    services.complaint_triage_confirm(acting_user=request.user, origin=request.origin,
                                      complaint=complaint, **form.cleaned_data)


@ACTIONS.action("register", form=lambda request, complaint: Form(request.POST))
def _register(request: AuthedRequest, complaint: Complaint, form: Form) -> None:
    services.complaint_register(acting_user=request.user, origin=request.origin,
                                complaint=complaint)


@ACTIONS.action("message", slot="message_form",
                form=lambda request, complaint: OfficialMessageForm(request.POST))
def _message(request: AuthedRequest, complaint: Complaint, form: OfficialMessageForm) -> None:
    kind = form.cleaned_data["kind"]
    services.message_send_official(
        acting_user=request.user, origin=request.origin, complaint=complaint,
        body=form.cleaned_data["body"], is_question=kind == "question", answer=kind == "answer")


@ACTIONS.action("reassign", slot="reassign_form",
                form=lambda request, complaint: ReassignForm(request.POST, handlers=(
                    User.objects.filter(pk__in=[h.pk for h in _eligible_handlers(complaint)]))))
def _reassign(request: AuthedRequest, complaint: Complaint, form: ReassignForm) -> None:
    services.complaint_reassign(acting_user=request.user, origin=request.origin,
                                complaint=complaint, **form.cleaned_data)


@ACTIONS.action("link", slot="link_form",
                form=lambda request, complaint: LinkCustodyForm(request.POST))
def _link(request: AuthedRequest, complaint: Complaint, form: LinkCustodyForm) -> None:
    try:
        record = selectors.custody_record_to_link(
            user=request.user, pk=form.cleaned_data["custody_record"], origin=request.origin)
    except CustodyRecord.DoesNotExist:
        raise ValidationError({"custody_record": _("No such custody record.")}) from None
    services.complaint_link_custody_record(acting_user=request.user, origin=request.origin,
                                           complaint=complaint, custody_record=record)


@ACTIONS.action("identity_request", slot="identity_form",
                form=lambda request, complaint: IdentityRequestForm(request.POST))
def _identity_request(request: AuthedRequest, complaint: Complaint,
                      form: IdentityRequestForm) -> None:
    services.identity_access_request(
        acting_user=request.user, origin=request.origin, complaint=complaint,
        reason=form.cleaned_data["reason"], break_glass=form.cleaned_data["break_glass"])


@ACTIONS.action("identity_open", form=lambda request, complaint: Form(request.POST))
def _identity_open(request: AuthedRequest, complaint: Complaint, form: Form) -> dict[str, Any]:
    return services.identity_unseal(acting_user=request.user, origin=request.origin,
                                    complaint=complaint)


@ACTIONS.action("close", slot="close_form",
                form=lambda request, complaint: CloseForm(request.POST))
def _close(request: AuthedRequest, complaint: Complaint, form: CloseForm) -> None:
    services.complaint_close(acting_user=request.user, origin=request.origin,
                             complaint=complaint, disposition=form.cleaned_data["disposition"],
                             detail=form.cleaned_data["detail"])


@handlers_only
@require_POST
def complaint_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """Every change on the complaint page: one POST per action, then back to the page."""
    complaint = _complaint_for(request, pk)
    outcome = ACTIONS.dispatch(request, complaint, action)
    if not outcome.ok:
        slot = outcome.action.slot
        context = _detail_context(request, complaint, {slot or "x": outcome.form})
        context["action_errors"] = [] if slot else outcome.form.non_field_errors()
        return render(request, "complaints/detail.html", context, status=422)
    if outcome.result is not None:
        # Shown on this response only: the identity is never put in a URL, a session or a cache.
        complaint.refresh_from_db()
        return render(request, "complaints/detail.html",
                      _detail_context(request, complaint, identity=outcome.result))
    messages.success(request, _("Saved."))
    return redirect("complaints:detail", pk=complaint.pk)


@login_required
@require_POST
def identity_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    origin = request.origin
    try:
        access = selectors.identity_access_to_decide(user=request.user, pk=pk, origin=origin)
    except IdentityAccess.DoesNotExist:
        raise Http404 from None
    if request.POST.get("decision") == "review":
        services.identity_access_review(acting_user=request.user, origin=origin, access=access)
    else:
        services.identity_access_decide(acting_user=request.user, origin=origin, access=access,
                                        approve=request.POST.get("decision") == "approve")
    messages.success(request, _("Saved."))
    return redirect("complaints:inbox")


@login_required
def statistics(request: AuthedRequest) -> HttpResponse:
    year = request.GET.get("year", "")
    charts = selectors.complaint_statistics(
        user=request.user, origin=request.origin,
        year=int(year) if year.isdigit() else None)
    titles = {"channel": _("By channel"), "region": _("By region"),
              "facility": _("By facility (top 20)"), "category": _("By category"),
              "month": _("By month")}
    return render(request, "complaints/statistics.html", {
        "charts": [(titles[key], bars) for key, bars in charts.items()],
        "suppressed": not has_capability(request.user, Capability.HANDLE_COMPLAINTS),
        "small_cell": selectors.SMALL_CELL, "year": year})
