"""Each risk-moment rule fires on the pattern it names and not on its near miss."""

from __future__ import annotations

import datetime as dt

from custodywatch.kernels import risk_rules as r

T0 = dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def stay(ref, start, end, kind="cell", blind=0, camera=True):
    return r.Interval(ref, "stay", T0 + start * H, T0 + end * H if end is not None else None,
                      kind, blind, has_camera=camera)


def codes(timeline):
    return [hit.rule for hit in r.evaluate(timeline)]


def test_injury_after_a_blind_interval():
    base = dict(custodies=[r.Custody("record:1", T0, None)],
                exams=[r.Exam("examination:1", T0 + H, 0, first=True),
                       r.Exam("examination:2", T0 + 6 * H, 1, new_injuries=1)])
    blind = r.Timeline(intervals=[stay("stay:1", 0, 3), stay("stay:2", 3, None, blind=12)],
                       **base)
    hits = [h for h in r.evaluate(blind) if h.rule == "injury_after_blind"]
    assert len(hits) == 1 and hits[0].evidence == ("examination:2", "stay:2")
    recorded = r.Timeline(intervals=[stay("stay:1", 0, 3), stay("stay:2", 3, None, blind=2)],
                          **base)
    assert "injury_after_blind" not in codes(recorded)


def test_injury_after_a_blind_transport():
    timeline = r.Timeline(custodies=[r.Custody("record:1", T0, None)],
                          intervals=[stay("stay:1", 0, 1, kind="vehicle", blind=1)],
                          exams=[r.Exam("examination:1", T0 + 2 * H, 1, first=True)])
    assert codes(timeline).count("injury_after_blind") == 1


def test_blind_room_after_a_complaint_and_its_reprisal():
    timeline = r.Timeline(custodies=[r.Custody("record:1", T0, None)],
                          complaints=[("complaint:4", T0 + 2 * H)],
                          intervals=[stay("stay:1", 0, 5), stay("stay:2", 5, None, camera=False)])
    assert sorted(codes(timeline)) == ["blind_after_complaint", "reprisal_after_complaint"]
    before = r.Timeline(custodies=[r.Custody("record:1", T0, None)],
                        complaints=[("complaint:4", T0 + 6 * H)],
                        intervals=[stay("stay:1", 0, 5), stay("stay:2", 5, None, camera=False)])
    assert codes(before) == []


def test_transfer_after_a_complaint_is_a_possible_reprisal():
    timeline = r.Timeline(custodies=[r.Custody("record:1", T0, T0 + 30 * H, "transferred")],
                          complaints=[("complaint:4", T0 + 2 * H)])
    hits = r.evaluate(timeline)
    assert [h.rule for h in hits] == ["reprisal_after_complaint"]
    assert hits[0].evidence == ("complaint:4", "record:1")
    assert r.evaluate(r.Timeline(custodies=[r.Custody("record:1", T0, T0 + 30 * H,
                                                      "released")],
                                 complaints=[("complaint:4", T0 + 2 * H)])) == []


def test_repeated_short_deliveries():
    def custody(n, day, hours):
        return r.Custody(f"record:{n}", T0 + day * 24 * H, T0 + day * 24 * H + hours * H)

    three = r.Timeline(custodies=[custody(1, 0, 2), custody(2, 10, 1), custody(3, 20, 2)])
    assert codes(three) == ["repeated_short_deliveries"]
    spread = r.Timeline(custodies=[custody(1, 0, 2), custody(2, 20, 1), custody(3, 40, 2)])
    long = r.Timeline(custodies=[custody(1, 0, 2), custody(2, 10, 9), custody(3, 20, 2)])
    assert codes(spread) == codes(long) == []


def test_interrogation_outside_an_interrogation_room_then_a_medical_visit():
    def action(kind):
        return r.Interval("interrogation:1", "interrogation", T0, T0 + H, kind, 0, False)

    medical = stay("stay:9", 3, 4, kind="medical")
    assert codes(r.Timeline(intervals=[action("cell"), medical])) == [
        "interrogation_outside_room"]
    assert codes(r.Timeline(intervals=[action("interrogation"), medical])) == []
    far = stay("stay:9", 40, 41, kind="medical")
    assert codes(r.Timeline(intervals=[action("cell"), far])) == []


def test_every_rule_explains_itself_with_its_parameters():
    for rule in r.RULES:
        assert rule.matcher in r.MATCHERS
        text = rule.explained()
        assert "%(" not in text and any(str(v) in text for v in rule.params.values())
