"""The menu and the dashboard's links: each person sees only the modules he may open.

Whether a module may be opened is asked of that module's own rule (the function its first page
enforces, which reads the capability table of accounts.capabilities), so the menu and the page
can never disagree; tests/test_navigation.py visits every menu item as every role to keep it
so. Templates read the same table through ``caps`` (``{% if caps.edit_registry %}``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from custodywatch.accountability import selectors as accountability_selectors
from custodywatch.accounts.capabilities import Capability, CapabilitySet, has_capability
from custodywatch.accounts.middleware import reads_public_only
from custodywatch.accounts.models import User
from custodywatch.cases import selectors as case_selectors
from custodywatch.complaints import selectors as complaint_selectors
from custodywatch.complaints import terminals as complaint_terminals
from custodywatch.custody import mass as custody_mass
from custodywatch.escrow import selectors as escrow_selectors
from custodywatch.ledger import selectors as ledger_selectors
from custodywatch.medical.selectors import is_reader as medical_is_reader
from custodywatch.reports import selectors as report_selectors
from custodywatch.visits import permissions as visit_permissions


def _anyone(user: User) -> bool:
    return True


def _in_scope(user: User) -> bool:
    """Modules of a scope: not for a registered NGO, which reads only what is public
    (accounts.middleware.PublicOnlyMiddleware refuses it these pages)."""
    return not reads_public_only(user)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    may_open: Callable[[User], bool] = _anyone

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION = [
    NavItem("home", _("Dashboard"), "home"),
    NavItem("registry", _("Registry"), "registry:facility_list", _in_scope),
    NavItem("custody", _("Custody"), "custody:index", _in_scope),
    # Issue 22: mass detention for the prosecutors; "where is he held?" for lawyers and the
    # hotline's operators.
    NavItem("mass", _("Mass detention"), "custody:mass", custody_mass.may_open),
    NavItem("whereabouts", _("Where is he held?"), "custody:whereabouts",
            lambda user: has_capability(user, Capability.LOOKUP_WHEREABOUTS_AS_LAWYER)),
    NavItem("whereabouts_operator", _("Where is he held? (relatives)"),
            "custody:whereabouts_operator",
            lambda user: has_capability(user, Capability.CHECK_RELATIVE_IDENTITY)),
    NavItem("video", _("Video"), "video:overview", _in_scope),
    NavItem("complaints", _("Complaints"), "complaints:inbox",
            complaint_selectors.may_open_inbox),
    # Issue 23: the oversight bodies manage the complaint terminals, never the facility.
    NavItem("terminals", _("Complaint terminals"), "complaints:terminals",
            complaint_terminals.may_manage),
    NavItem("cases", _("Cases"), "cases:index",
            lambda user: case_selectors.access_of(user) != case_selectors.Access.NONE),
    # Issue 21: examiners and prosecutors (READ_MEDICAL_EXAMINATIONS).
    NavItem("medical", _("Medical examinations"), "medical:index", medical_is_reader),
    # Issue 20: who hands out body-worn cameras, and the prosecutors who supervise them.
    NavItem("body_cameras", _("Body-worn cameras"), "escrow:body_cameras",
            escrow_selectors.may_read_body_cameras),
    NavItem("visits", _("Visits"), "visits:calendar", _in_scope),
    NavItem("ledger", _("Evidence ledger"), "ledger:overview", ledger_selectors.can_read_leaves),
    NavItem("liveview", _("Live view"), "liveview:index", _in_scope),
    NavItem("reports", _("Reports"), "reports:index", report_selectors.may_read_reports),
    # Issue 24: prosecutors and the Ombudsperson; never the facility.
    NavItem("proceedings", _("Disciplinary proceedings"), "accountability:proceedings",
            accountability_selectors.may_read_proceedings),
    NavItem("fund", _("Victim Compensation Fund"), "accountability:fund",
            accountability_selectors.may_read_fund),
    NavItem("crisis_centres", _("Crisis centres"), "cases:crisis_centres",
            case_selectors.may_read_crisis_centres),
    # Issue 24 item 6: the public recommendations (the NGOs comment there); moderators hold
    # the comments that may identify a person.
    NavItem("public_recommendations", _("Recommendations (public)"),
            "visits:public_recommendations"),
    NavItem("comment_moderation", _("Comments to moderate"), "visits:comment_moderation",
            visit_permissions.may_moderate),
]


def modules_open_to(user: User) -> set[str]:
    """The keys of the modules ``user`` may open."""
    if not user.is_authenticated:
        return set()
    return {item.key for item in NAVIGATION if item.may_open(user)}


def navigation(request: HttpRequest) -> dict[str, object]:
    """Context processor: the menu of the person signed in, and his capabilities (``caps``)."""
    user = getattr(request, "user", None)
    caps = CapabilitySet(user)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "modules_open": set(), "caps": caps}
    open_keys = modules_open_to(user)
    match = request.resolver_match
    current = (match.namespace or match.url_name or "") if match is not None else ""
    return {"navigation": [item for item in NAVIGATION if item.key in open_keys],
            "navigation_current": current, "modules_open": open_keys, "caps": caps}
