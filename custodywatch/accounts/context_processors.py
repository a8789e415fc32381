"""The navigation: every module of the product, in the order people use them."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    kwargs: dict[str, str] | None = None

    @property
    def url(self) -> str:
        return reverse(self.url_name, kwargs=self.kwargs)


NAVIGATION = [
    NavItem("home", _("Dashboard"), "home"),
    NavItem("registry", _("Registry"), "registry:facility_list"),
    NavItem("custody", _("Custody"), "custody:index"),
    NavItem("video", _("Video"), "video:overview"),
    NavItem("complaints", _("Complaints"), "complaints:inbox"),
    NavItem("cases", _("Cases"), "cases:index"),
    NavItem("medical", _("Medical examinations"), "medical:index"),
    NavItem("visits", _("Visits"), "visits:calendar"),
    NavItem("ledger", _("Evidence ledger"), "ledger:overview"),
    NavItem("liveview", _("Live view"), "liveview:index"),
    NavItem("reports", _("Reports"), "reports:index"),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"navigation": []}
    match = request.resolver_match
    current = ""
    if match is not None:
        current = match.namespace or match.url_name or ""
    return {"navigation": NAVIGATION, "navigation_current": current}
