"""How a complaint's filing time is told to its complainant."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import translation

from custodywatch.complaints import languages, rules
from custodywatch.complaints.models import Channel, Complaint

register = template.Library()


@register.simple_tag
def filed_until(complaint: Complaint) -> dt.datetime | None:
    """A kiosk complaint's time is its hour's batch (staff who saw someone at the terminal
    cannot match the minute): the end of that hour, to say "between ... and ..."."""
    if complaint.channel != Channel.KIOSK:
        return None
    return complaint.received_at + rules.KIOSK_BATCH


@register.simple_tag
def detainee_language_options() -> list[dict[str, str | bool]]:
    """The chooser of the pages in the languages of the people held (complaints/languages)."""
    return languages.options(translation.get_language() or "")
