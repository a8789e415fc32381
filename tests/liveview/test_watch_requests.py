"""Issue 23, item 7: a relative or lawyer asks to watch a person's interrogations (public site
or operator), an operator checks the identity, the prosecutor decides and offers the link;
the facility reads nothing different; an interrogation held under a granted request without
the link offered is flagged."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.liveview import services, watch_requests
from custodywatch.liveview.models import Relationship, WatchLinkMissing, WatchRequest
from tests.conftest import make_user, sign_in
from tests.liveview.conftest import interrogation_in

pytestmark = pytest.mark.django_db
Status = WatchRequest.Status


@pytest.fixture
def operator(db):
    return make_user("npm_operator", Role.NPM_MONITOR)


def _submit(facility=None, **overrides):  # type: ignore[no-untyped-def]
    values = {"requester_name": "Ержанова Айгуль", "relationship": Relationship.SPOUSE,
              "contact": "+7 701 000 00 00", "person_name": "Ержанов Нурлан",
              "facility": facility}
    return watch_requests.watch_request_submit(origin=SYSTEM_ORIGIN, **values | overrides)


def _granted(people, operator, live):  # type: ignore[no-untyped-def]
    made = _submit(live.room.facility)
    watch_requests.watch_request_check_identity(
        acting_user=operator, origin=SYSTEM_ORIGIN, request=made,
        custody_record_id=live.interrogation.custody_record_id, document="ID 041234567")
    made.refresh_from_db()
    return watch_requests.watch_request_decide(acting_user=people["prosecutor_a"],
                                               origin=SYSTEM_ORIGIN, request=made, grant=True)


def test_the_public_form_makes_a_request_that_waits_for_the_identity_check(client, facility_a):
    response = client.post(reverse("liveview:watch_request_new"), {
        "requester_name": "Ержанова Айгуль", "relationship": "spouse",
        "contact": "+7 701 000 00 00", "person_name": "Ержанов Нурлан",
        "facility": facility_a.pk})
    assert response.status_code == 200
    made = WatchRequest.objects.get()
    assert made.reference in response.content.decode()
    assert (made.channel, made.status, made.created_by) == ("web", Status.SUBMITTED, None)
    # Bad input: named fields, nothing made.
    response = client.post(reverse("liveview:watch_request_new"), {"relationship": "uncle"})
    assert response.status_code == 422
    assert WatchRequest.objects.count() == 1


def test_an_operator_takes_a_request_by_telephone(client, operator, facility_a):
    sign_in(client, operator)
    response = client.post(reverse("liveview:watch_request_new"), {
        "requester_name": "Адвокат Сейткали", "relationship": "lawyer",
        "contact": "+7 702 000 00 00", "person_name": "Ержанов Нурлан"})
    made = WatchRequest.objects.get()
    assert response.status_code == 302
    assert (made.channel, made.created_by) == ("operator", operator)


def test_the_way_of_a_request_and_its_refusals(people, operator, live):
    made = _submit(live.room.facility)
    record_id = live.interrogation.custody_record_id
    # The facility, a party, neither checks nor decides.
    for actor in (people["head_a"], people["duty_a"]):
        with pytest.raises(PermissionDenied):
            watch_requests.watch_request_check_identity(
                acting_user=actor, origin=SYSTEM_ORIGIN, request=made,
                custody_record_id=record_id, document="ID 1")
    with pytest.raises(ValidationError) as error:
        watch_requests.watch_request_check_identity(
            acting_user=operator, origin=SYSTEM_ORIGIN, request=made,
            custody_record_id=record_id, document=" ")
    assert "document" in error.value.message_dict
    # Not yet checked: the prosecutor cannot decide.
    with pytest.raises(PermissionDenied):
        watch_requests.watch_request_decide(acting_user=people["prosecutor_a"],
                                            origin=SYSTEM_ORIGIN, request=made, grant=True)
    made = watch_requests.watch_request_check_identity(
        acting_user=operator, origin=SYSTEM_ORIGIN, request=made, custody_record_id=record_id,
        document="ID 041234567")
    assert made.status == Status.CHECKED
    for actor in (people["head_a"], operator):
        with pytest.raises(PermissionDenied):
            watch_requests.watch_request_decide(acting_user=actor, origin=SYSTEM_ORIGIN,
                                                request=made, grant=True)
    # A prosecutor of another region: outside his scope.
    other = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR,
                      region=live.room_b.facility.region)
    with pytest.raises(PermissionDenied):
        watch_requests.watch_request_decide(acting_user=other, origin=SYSTEM_ORIGIN,
                                            request=made, grant=True)
    with pytest.raises(ValidationError) as error:
        watch_requests.watch_request_decide(acting_user=people["prosecutor_a"],
                                            origin=SYSTEM_ORIGIN, request=made, grant=False)
    assert "note" in error.value.message_dict
    made = watch_requests.watch_request_decide(acting_user=people["prosecutor_a"],
                                               origin=SYSTEM_ORIGIN, request=made, grant=True)
    assert made.status == Status.GRANTED
    assert AuditEvent.objects.filter(object_type="liveview.watchrequest",
                                     object_id=str(made.pk)).count() >= 3


def test_the_offered_link_opens_the_room_of_the_interrogation(people, operator, live):
    made = _granted(people, operator, live)
    named = watch_requests.watch_link_offer(acting_user=people["prosecutor_a"],
                                            origin=SYSTEM_ORIGIN, request=made,
                                            interrogation=live.interrogation)
    assert named.viewer.watch_request == made
    opened = services.link_open(code=named.code, origin=SYSTEM_ORIGIN)
    assert opened.viewer.session.interrogation == live.interrogation
    # An interrogation of another person is not the request's.
    other = interrogation_in(live.other_room, people["duty_a"], name="Другой Человек")
    with pytest.raises(ValidationError):
        watch_requests.watch_link_offer(acting_user=people["prosecutor_a"],
                                        origin=SYSTEM_ORIGIN, request=made, interrogation=other)


def _facility_reads(people, live) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the facility's staff and its agent's token read about the person and the room."""
    record = live.interrogation.custody_record_id
    reads = {}
    for name in ("head_a", "duty_a"):
        client = sign_in(Client(), people[name])
        for url in (reverse("liveview:record", args=[record]), reverse("liveview:index"),
                    reverse("custody:record", args=[record])):
            page = client.get(url).content.decode()
            page = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", page)
            reads[f"{name} {url}"] = page
        denied = client.get(reverse("liveview:watch_requests")).status_code
        reads[f"{name} requests"] = str(denied)
    reads["agent wanted"] = Client().get(
        reverse("api:live_camera_wanted", kwargs={"camera": "CAMT1"}),
        HTTP_AUTHORIZATION=f"Bearer {live.token_a}").content.decode()
    return reads


def test_the_facility_reads_nothing_different(people, operator, live, monkeypatch):
    # One moment for the whole test: the pages' clocks ("held for 2 h 05 min") must not tick
    # between the two readings.
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    before = _facility_reads(people, live)
    made = _granted(people, operator, live)
    watch_requests.watch_link_offer(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                    request=made, interrogation=live.interrogation)
    after = _facility_reads(people, live)
    assert before["head_a requests"] == "403"
    import difflib

    changed = {key: "\n".join(difflib.unified_diff(before[key].splitlines(),
                                                    after[key].splitlines(), lineterm="", n=0))
               for key in before if before[key] != after[key]}
    assert changed == {}
    # Their audit trails (their own reads; the reading itself adds to them) hold nothing of it.
    from custodywatch.accounts.selectors import audit_events_visible

    for name in ("head_a", "duty_a"):
        assert not audit_events_visible(user=people[name]).filter(
            object_type__in=["liveview.watchrequest", "liveview.viewer"]).exists()
    # The prosecutor does see the link given for the request.
    client = sign_in(Client(), people["prosecutor_a"])
    page = client.get(reverse("liveview:record",
                              args=[live.interrogation.custody_record_id])).content.decode()
    assert "Ержанова Айгуль" in page


def test_an_interrogation_without_the_link_offered_is_flagged_once(people, operator, live):
    made = _granted(people, operator, live)
    # The interrogation of the fixture began before the grant and goes on: held under it.
    later = timezone.now() + watch_requests.OFFER_GRACE + dt.timedelta(minutes=1)
    within = live.interrogation.started_at + watch_requests.OFFER_GRACE - dt.timedelta(minutes=1)
    assert watch_requests.watch_links_sweep(now=within) == 0
    assert watch_requests.watch_links_sweep(now=later) == 1
    assert watch_requests.watch_links_sweep(now=later) == 0
    flag = WatchLinkMissing.objects.get()
    assert (flag.watch_request, flag.interrogation) == (made, live.interrogation)
    # A second interrogation, with the link offered in time: not flagged.
    second = interrogation_in(live.room, people["duty_a"], started=dt.timedelta(minutes=1),
                              name="Ержанов Нурлан 2")
    second.custody_record = live.interrogation.custody_record
    second.save(update_fields=["custody_record"])
    watch_requests.watch_link_offer(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                    request=made, interrogation=second)
    assert watch_requests.watch_links_sweep(now=later) == 0
    # The prosecutor's page shows the flag.
    client = sign_in(Client(), people["prosecutor_a"])
    page = client.get(reverse("liveview:watch_request", args=[made.pk])).content.decode()
    assert 'data-testid="watch-missing"' in page


def test_the_prosecutor_decides_and_offers_on_the_pages(people, operator, live):
    made = _submit(live.room.facility)
    client = sign_in(Client(), operator)
    response = client.post(reverse("liveview:watch_request_action", args=[made.pk, "check"]),
                           {"custody_record": live.interrogation.custody_record_id,
                            "document": "ID 041234567"})
    assert response.status_code == 302
    client = sign_in(Client(), people["prosecutor_a"])
    assert client.post(reverse("liveview:watch_request_action", args=[made.pk, "refuse"]),
                       {"note": ""}).status_code == 422
    assert client.post(reverse("liveview:watch_request_action", args=[made.pk, "grant"]),
                       {"note": ""}).status_code == 302
    response = client.post(reverse("liveview:watch_request_action", args=[made.pk, "offer"]),
                           {"interrogation": live.interrogation.pk})
    assert response.status_code == 200
    assert 'data-testid="watch-offered"' in response.content.decode()
    # The facility's head cannot open the request at all.
    head = sign_in(Client(), people["head_a"])
    assert head.get(reverse("liveview:watch_request", args=[made.pk])).status_code == 403


def _screen(client, facility, monitor):  # type: ignore[no-untyped-def]
    """Make the client an enrolled waiting-room screen of the facility (the device's steps)."""
    from custodywatch.complaints import terminals
    from custodywatch.complaints.models import Terminal

    terminal, code = terminals.terminal_add(acting_user=monitor, origin=SYSTEM_ORIGIN,
                                            facility=facility, place="Waiting room",
                                            kind=Terminal.Kind.WAITING_ROOM)
    response = client.post(reverse("complaints:terminal_enrol"), {"code": code})
    assert response.status_code == 302 and response["Location"] == reverse(
        "waiting_room_screen")
    return terminal


def test_the_waiting_room_screen_shows_only_a_granted_requests_room(people, operator, live):
    made = _granted(people, operator, live)
    named = watch_requests.watch_link_offer(acting_user=people["prosecutor_a"],
                                            origin=SYSTEM_ORIGIN, request=made,
                                            interrogation=live.interrogation)
    facility_named = services.viewer_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                         interrogation=live.interrogation,
                                         full_name="Сосед", relationship="relative")
    # Not an enrolled screen (a plain browser, or a complaint kiosk): refused.
    assert Client().get(reverse("waiting_room_screen")).status_code == 403
    screen = Client()
    _screen(screen, live.room.facility, operator)
    assert screen.get(reverse("waiting_room_screen")).status_code == 200
    # A link the facility named is not a granted request's: this screen does not open it.
    response = screen.post(reverse("waiting_room_screen"), {"code": facility_named.code})
    assert response.status_code == 403
    facility_named.viewer.refresh_from_db()
    assert facility_named.viewer.bound_at is None
    # The granted request's code opens the watching page of its room.
    response = screen.post(reverse("waiting_room_screen"), {"code": named.code})
    assert response.status_code == 302
    assert response["Location"] == reverse("liveview:watch", args=[named.viewer.pk])
    assert screen.get(response["Location"]).status_code == 200
    # Another facility's screen opens nothing of facility A.
    other = Client()
    _screen(other, live.room_b.facility, operator)
    other_named = watch_requests.watch_link_offer(
        acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN, request=made,
        interrogation=live.interrogation)
    assert other.post(reverse("waiting_room_screen"),
                      {"code": other_named.code}).status_code == 403


def test_a_waiting_room_screen_files_no_complaint(client, live, operator):
    from custodywatch.complaints.models import Complaint

    _screen(client, live.room.facility, operator)
    code = live.room.facility.code
    response = client.post(reverse("complaints:kiosk_form", args=[code]), {
        "text": "Меня избили", "facility": live.room.facility.pk, "anonymous": "on"})
    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_a_link_offered_just_after_the_grant_counts_for_an_interrogation_under_way(
        people, operator, live):
    """The interrogation began before the grant: the grace runs from the grant."""
    made = _granted(people, operator, live)
    watch_requests.watch_link_offer(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                    request=made, interrogation=live.interrogation)
    later = timezone.now() + watch_requests.OFFER_GRACE + dt.timedelta(minutes=1)
    assert watch_requests.watch_links_sweep(now=later) == 0
    assert not WatchLinkMissing.objects.exists()


def test_the_requests_are_read_within_scope(people, operator, live):
    made = _granted(people, operator, live)
    unplaced = _submit(None, person_name="Кто-то")
    other = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR,
                      region=live.room_b.facility.region)
    page = sign_in(Client(), other).get(reverse("liveview:watch_requests")).content.decode()
    assert made.reference not in page and unplaced.reference in page
    assert sign_in(Client(), other).get(
        reverse("liveview:watch_request", args=[made.pk])).status_code == 404
    page = sign_in(Client(), people["prosecutor_a"]).get(
        reverse("liveview:watch_requests")).content.decode()
    assert made.reference in page
    for name in ("head_a", "duty_a", "analyst"):
        assert sign_in(Client(), people[name]).get(
            reverse("liveview:watch_requests")).status_code == 403


def test_a_waiting_room_screen_is_not_a_silent_complaint_terminal(client, live, operator):
    """Silence alerts and the uptime on the scorecard are the complaint terminals': a screen
    sends no heartbeat while it shows a room."""
    from custodywatch.complaints import terminals
    from custodywatch.complaints.models import TerminalAlert

    screen = _screen(client, live.room.facility, operator)
    later = timezone.now() + terminals.silent_after() * 3
    assert terminals.silence_sweep(now=later) == 0
    assert not TerminalAlert.objects.filter(terminal=screen).exists()
    assert terminals.off_percent([live.room.facility.pk], timezone.now() - dt.timedelta(
        days=1), timezone.now()) == {}
