"""A complaint's timeline is written in one language and read in another: its words are
stored untranslated and shown in the reader's language (a kiosk complaint in Kazakh, read
by a prosecutor in Russian)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from custodywatch.complaints.models import Channel, TimelineEvent
from tests.complaints.conftest import TORTURE_TEXT, enrolled_terminal

pytestmark = pytest.mark.django_db


def test_words_written_in_kazakh_are_read_in_russian(file_complaint, facility_a, people,
                                                      signed_in):
    with translation.override("kk"):
        complaint = file_complaint(facility=facility_a, text=TORTURE_TEXT,
                                   channel=Channel.KIOSK,
                                   terminal=enrolled_terminal(facility_a)).complaint
    received = complaint.timeline.get(kind=TimelineEvent.Kind.RECEIVED)
    hold = complaint.timeline.get(kind=TimelineEvent.Kind.HOLD)
    with translation.override("ru"):
        assert received.described == str(Channel.KIOSK.label)  # the Russian label
        russian = (received.described, hold.described)
    with translation.override("kk"):
        kazakh = (received.described, hold.described)
    with translation.override("en"):
        assert (received.described, hold.described) == ("Kiosk in a facility",
                                                        "every room of the facility")
    assert russian != kazakh and all(russian) and all(kazakh)
    routed = complaint.timeline.get(kind=TimelineEvent.Kind.ROUTED)
    assert routed.note == facility_a.region.code  # free text stays as written

    client = signed_in(people["prosecutor_a"])
    client.cookies["django_language"] = "ru"
    page = client.get(reverse("complaints:detail", args=[complaint.pk]),
                      HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert russian[0] in page and russian[1] in page
    assert kazakh[0] not in page
