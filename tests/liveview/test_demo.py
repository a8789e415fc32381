"""The demo's live-view rows: sessions for interrogations in transparent rooms, viewings
with durations, and no demo link that opens anything."""

from __future__ import annotations

import random

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.liveview.demo import build_liveview
from custodywatch.liveview.models import Viewer, ViewingSession, Watching
from tests.liveview.conftest import interrogation_in

pytestmark = pytest.mark.django_db


def test_demo_sessions_have_viewers_and_viewings_but_no_usable_link(people, live):
    interrogation_in(live.other_room, people["duty_a"], name="Демо Человек")
    assert build_liveview(rng=random.Random(7), now=timezone.now()) == 2
    assert ViewingSession.objects.count() == 2
    assert Watching.objects.count() == Viewer.objects.count() >= 2
    assert all(w.duration_seconds >= 60 for w in Watching.objects.all())
    response = Client().post(reverse("liveview:code"), {"code": "0" * 25})
    assert response.status_code == 403
