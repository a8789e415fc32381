"""Template helpers for the video pages: state labels, colours, durations."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from custodywatch.video.presentation import STATE_COLORS, state_label

register = template.Library()


@register.filter
def state_name(state: str) -> str | Promise:
    return state_label(state)


@register.filter
def state_color(state: str) -> str:
    return STATE_COLORS.get(state, STATE_COLORS["unknown"])


@register.simple_tag
def duration_since(since: dt.datetime | None, now: dt.datetime) -> str:
    """How long, in the largest two units: "3 d 4 h", "2 h 5 min", "7 min"."""
    if since is None:
        return _("never reported")
    minutes = max(int((now - since).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}
