"""Writes about cases: opening, the lifecycle, parties, legal-rule refusals, imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent
from custodywatch.cases import batch, services
from custodywatch.cases.models import Case, CaseParty, CaseTransition, Charge, CrisisCentre
from custodywatch.complaints.models import LegalHold
from custodywatch.kernels import case_rules
from custodywatch.registry.models import HeadAppointment
from tests.cases.conftest import ERDR_A, ORIGIN, file_torture_complaint

pytestmark = pytest.mark.django_db


def test_open_from_a_complaint_sets_region_prosecutor_and_first_transition(cw, facility_a):
    case = cw.case_a
    assert case.region_id == facility_a.region_id
    assert case.supervising_prosecutor == cw.people["prosecutor_a"]
    assert list(case.complaints.all()) == [cw.complaint]
    assert list(case.transitions.values_list("from_status", "to_status")) == [
        ("", "registered")]
    assert AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk),
                                     action=AuditEvent.Action.CREATE).exists()
    # The examination request counted as the first investigative step.
    assert case.__class__.objects.get(pk=case.pk).first_step_at is not None


def test_open_refusals_name_the_field_and_write_nothing(cw, facility_a, facility_b):
    prosecutor = cw.people["prosecutor_a"]
    before = Case.objects.count()
    cases = [
        ({"register_number": "12345"}, "register_number"),
        ({"register_number": ERDR_A}, "register_number"),  # already registered
        ({"title": " "}, "title"),
        ({"facility": facility_b}, "facility"),  # outside his region
        ({"complaints": [], "ex_officio": False}, "complaints"),
        ({"complaints": [file_torture_complaint(facility_b)]}, "complaints"),  # not his
        ({"supervising_prosecutor": cw.people["prosecutor_b"]}, "supervising_prosecutor"),
        ({"events_from": timezone.now() - dt.timedelta(days=1),
          "events_until": timezone.now() - dt.timedelta(days=2)}, "events_until"),
    ]
    for override, field in cases:
        values = {"register_number": "261575031000099", "title": "t", "facility": facility_a,
                  "complaints": [cw.complaint]} | override
        with pytest.raises(ValidationError) as error:
            services.case_open(acting_user=prosecutor, origin=ORIGIN, **values)
        assert field in error.value.message_dict, (override, error.value.message_dict)
    with pytest.raises(PermissionDenied):
        services.case_open(acting_user=cw.people["analyst"], origin=ORIGIN,
                           register_number="261575031000098", title="t", facility=facility_a,
                           ex_officio=True)
    assert Case.objects.count() == before
    # Spaces between digit groups are accepted and dropped.
    case = services.case_open(acting_user=prosecutor, origin=ORIGIN,
                              register_number="2615 7503 1000 097", title="t",
                              facility=facility_a, ex_officio=True)
    assert case.register_number == "261575031000097"


def _case_in(status: str, cw, n: int) -> Case:
    case = services.case_open(acting_user=cw.people["gpo"], origin=ORIGIN,
                              register_number=f"2615750319{n:05d}", title=f"c{n}",
                              facility=cw.case_a.facility, ex_officio=True,
                              registered_at=timezone.now() - dt.timedelta(days=3))
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    return case


def test_every_transition_allowed_or_refused_through_the_service(cw):
    gpo = cw.people["gpo"]
    n = 0
    for from_status in case_rules.STATUSES:
        for to_status in case_rules.STATUSES:
            n += 1
            case = _case_in(from_status, cw, n)
            ground = "insufficient_evidence" if to_status == "closed" else ""
            note = "new witness" if from_status == "closed" else ""
            allowed = to_status in case_rules.TRANSITIONS[from_status]
            before = CaseTransition.objects.filter(case=case).count()
            if allowed:
                services.case_transition(acting_user=gpo, origin=ORIGIN, case=case,
                                         to_status=to_status, ground=ground, note=note)
                case.refresh_from_db()
                assert case.status == to_status
                assert case.transitions.last().from_status == from_status
                assert AuditEvent.objects.filter(object_id=str(case.pk),
                                                 detail__to=to_status).exists()
            else:
                with pytest.raises(ValidationError) as error:
                    services.case_transition(acting_user=gpo, origin=ORIGIN, case=case,
                                             to_status=to_status, ground=ground, note=note)
                assert "to_status" in error.value.message_dict
                case.refresh_from_db()
                assert case.status == from_status
                assert CaseTransition.objects.filter(case=case).count() == before


def test_closing_needs_ground_reopening_needs_note_and_decision_stops_clock(cw):
    gpo = cw.people["gpo"]
    case = cw.case_b
    services.case_transition(acting_user=gpo, origin=ORIGIN, case=case, to_status="investigation")
    with pytest.raises(ValidationError) as error:
        services.case_transition(acting_user=gpo, origin=ORIGIN, case=case, to_status="closed")
    assert "ground" in error.value.message_dict
    case = services.case_transition(acting_user=gpo, origin=ORIGIN, case=case,
                                    to_status="closed", ground="no_event")
    assert case.closure_ground == "no_event" and case.decision_at is not None
    with pytest.raises(ValidationError) as error:
        services.case_transition(acting_user=gpo, origin=ORIGIN, case=case,
                                 to_status="investigation")
    assert "note" in error.value.message_dict
    case = services.case_transition(acting_user=gpo, origin=ORIGIN, case=case,
                                    to_status="investigation", note="A new witness came forward")
    assert case.closure_ground == "" and case.transitions.last().note.startswith("A new")
    # A regional prosecutor of another region may not move it.
    with pytest.raises(PermissionDenied):
        services.case_transition(acting_user=cw.people["prosecutor_a"], origin=ORIGIN,
                                 case=case, to_status="suspended")


def test_parties_persons_reused_and_unit_head_at_the_time(cw, facility_a):
    prosecutor = cw.people["prosecutor_a"]
    events = cw.case_a.events_from.date()
    HeadAppointment.objects.create(facility=facility_a, full_name="Old Head", position="head",
                                   started_on=events - dt.timedelta(days=900),
                                   ended_on=events - dt.timedelta(days=300))
    head = HeadAppointment.objects.create(facility=facility_a, full_name="Head Then",
                                          position="head",
                                          started_on=events - dt.timedelta(days=300))
    officer = services.party_add_officer(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                                         role=CaseParty.Role.SUSPECT, full_name="Second Officer",
                                         personnel_number="P-2", rank="major")
    assert officer.unit_head == head
    # Charged: the suspect becomes the accused (the same party).
    again = services.party_add_officer(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                                       role=CaseParty.Role.ACCUSED, personnel_number="P-2",
                                       full_name="Second Officer")
    assert again.pk == officer.pk and again.role == CaseParty.Role.ACCUSED
    # The same victim (by IIN) in another case is the same Person.
    other = services.case_open(acting_user=prosecutor, origin=ORIGIN,
                               register_number="261575031000055", title="second",
                               facility=facility_a, ex_officio=True)
    victim2 = services.party_add_person(acting_user=prosecutor, origin=ORIGIN, case=other,
                                        role=CaseParty.Role.VICTIM, full_name="x",
                                        iin="900101300123")
    assert victim2.person_id == cw.victim.person_id
    with pytest.raises(ValidationError) as error:
        services.party_add_person(acting_user=prosecutor, origin=ORIGIN, case=other,
                                  role=CaseParty.Role.LAWYER, full_name="Lawyer")
    assert "represents" in error.value.message_dict
    lawyer = services.party_add_person(acting_user=prosecutor, origin=ORIGIN, case=other,
                                       role=CaseParty.Role.LAWYER, full_name="Lawyer",
                                       represents=victim2)
    assert lawyer.represents == victim2
    with pytest.raises(ValidationError):
        services.party_add_person(acting_user=prosecutor, origin=ORIGIN, case=other,
                                  role=CaseParty.Role.ACCUSED, full_name="Not a person")


FLAGS = case_rules.RELEASE_FLAGS


@pytest.mark.parametrize("flag", FLAGS)
def test_art_146_conviction_with_a_release_is_refused_with_the_rule_text(cw, flag):
    before = Charge.objects.count()
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count()
    with pytest.raises(ValidationError) as error:
        services.charge_add(acting_user=cw.people["prosecutor_a"], origin=ORIGIN,
                            case=cw.case_a, accused=cw.accused, victim=cw.victim, article="146",
                            verdict="convicted", verdict_on=dt.date(2026, 5, 1),
                            imprisonment_months=36, **{flag: True})
    message = error.value.message_dict[flag][0]
    assert message == case_rules.ART_146_RULES[flag][1]
    assert Charge.objects.count() == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count() == denied + 1


def test_all_releases_at_once_each_named_and_other_articles_allowed(cw):
    prosecutor = cw.people["prosecutor_a"]
    outcome = {"verdict": "convicted", "verdict_on": dt.date(2026, 5, 1),
               "imprisonment_months": 24, **dict.fromkeys(FLAGS, True)}
    with pytest.raises(ValidationError) as error:
        services.charge_add(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                            accused=cw.accused, victim=cw.victim, article="146", **outcome)
    assert set(error.value.message_dict) == set(FLAGS)
    charge = services.charge_add(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                                 accused=cw.accused, victim=cw.victim, article="361", **outcome)
    assert charge.probation and charge.rule_flags == []
    torture = services.charge_add(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                                  accused=cw.accused, victim=cw.victim, article="146",
                                  article_part="2")
    # A verdict later: the same rules; without a release it is recorded.
    for flag in FLAGS:
        with pytest.raises(ValidationError):
            services.charge_outcome_set(acting_user=prosecutor, origin=ORIGIN, charge=torture,
                                        verdict="convicted", verdict_on=dt.date(2026, 6, 1),
                                        **{flag: True})
    torture.refresh_from_db()
    assert torture.verdict == "pending"
    services.charge_outcome_set(acting_user=prosecutor, origin=ORIGIN, charge=torture,
                                verdict="convicted", verdict_on=dt.date(2026, 6, 1),
                                imprisonment_months=60, ban_on_positions_years=3)
    torture.refresh_from_db()
    assert torture.verdict == "convicted" and torture.imprisonment_months == 60
    # Duplicate charge and a sentence without conviction: clear errors.
    with pytest.raises(ValidationError) as error:
        services.charge_add(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                            accused=cw.accused, victim=cw.victim, article="146")
    assert "article" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.charge_add(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                            accused=cw.accused, victim=cw.victim, article="362",
                            verdict="acquitted", verdict_on=dt.date(2026, 6, 1),
                            imprisonment_months=3)
    assert "imprisonment_months" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.charge_add(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                            accused=cw.victim, victim=cw.accused, article="362")
    assert {"accused", "victim"} <= set(error.value.message_dict)


def test_import_flags_instead_of_refusing_and_is_idempotent(cw):
    prosecutor = cw.people["prosecutor_a"]
    text = (
        "register_number,accused,accused_personnel_number,victim,victim_iin,article,verdict,"
        "verdict_on,imprisonment_months,probation,amnesty\n"
        f"{ERDR_A},Officer Suspect,P-1,Сейтқали Әсет Ұлықбекұлы,900101300123,146,convicted,"
        "2026-04-01,36,yes,no\n"
        f"{ERDR_A},New Officer,P-9,Another Victim,,361,pending,,,no,no\n")
    rows = batch.parse_csv(text)
    result = batch.charges_import(acting_user=prosecutor, origin=ORIGIN, rows=rows, source="csv")
    assert (result.created, result.updated, result.flagged) == (2, 0, 1)
    flagged = Charge.objects.get(pk=result.flagged_charges[0])
    assert flagged.probation and flagged.accused == cw.accused and flagged.victim == cw.victim
    assert [f["code"] for f in flagged.rule_flags] == ["art146_no_probation"]
    cw.case_a.refresh_from_db()
    assert [f["code"] for f in cw.case_a.rule_flags] == ["art146_no_probation"]
    again = batch.charges_import(acting_user=prosecutor, origin=ORIGIN, rows=rows, source="csv")
    assert (again.created, again.updated) == (0, 2)
    assert Charge.objects.filter(case=cw.case_a).count() == 2
    cw.case_a.refresh_from_db()
    assert len(cw.case_a.rule_flags) == 1


def test_import_refuses_bad_rows_by_line_and_field_and_writes_nothing(cw):
    prosecutor = cw.people["prosecutor_a"]
    rows = [
        {"register_number": ERDR_A, "accused": "A", "victim": "V", "article": "146"},
        {"register_number": ERDR_A, "accused": "A", "victim": "V", "article": "147",
         "probation": "maybe"},
        {"register_number": "261535031000002", "accused": "A", "victim": "V", "article": "146"},
    ]
    with pytest.raises(ValidationError) as error:
        batch.charges_import(acting_user=prosecutor, origin=ORIGIN, rows=rows)
    messages = error.value.message_dict["rows"]
    assert any(m.startswith("line 2: article") for m in messages)
    assert any(m.startswith("line 2: probation") for m in messages)
    # Case B is in another region: not found for him.
    assert any(m.startswith("line 3: register_number") for m in messages)
    assert Charge.objects.count() == 0
    with pytest.raises(ValidationError) as error:
        batch.parse_csv("number,who\n1,2\n")
    assert "Line 1" in error.value.message_dict["file"][0]
    with pytest.raises(PermissionDenied):
        batch.charges_import(acting_user=cw.people["analyst"], origin=ORIGIN, rows=rows[:1])


def test_support_and_compensation(cw):
    prosecutor, officer = cw.people["prosecutor_a"], cw.people["compensation"]
    centre = CrisisCentre.objects.create(name="Crisis centre Almaty",
                                         region=cw.case_a.region, services=["psychological"])
    referral = services.referral_add(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                                     victim=cw.victim, kind="psychological",
                                     crisis_centre=centre, consent="written")
    services.referral_status_set(acting_user=prosecutor, origin=ORIGIN, referral=referral,
                                 status="in_progress")
    referral.refresh_from_db()
    assert referral.status == "in_progress"
    claim = services.compensation_claim_add(acting_user=prosecutor, origin=ORIGIN,
                                            case=cw.case_a, victim=cw.victim,
                                            claimed_at=timezone.localdate(),
                                            amount_claimed=Decimal("500000"))
    with pytest.raises(PermissionDenied):
        services.compensation_decide(acting_user=prosecutor, origin=ORIGIN, claim=claim,
                                     decision="granted", decided_at=timezone.localdate(),
                                     amount_granted=Decimal("1"))
    with pytest.raises(ValidationError) as error:
        services.compensation_decide(acting_user=officer, origin=ORIGIN, claim=claim,
                                     decision="partly", decided_at=timezone.localdate(),
                                     amount_granted=Decimal("900000"))
    assert "amount_granted" in error.value.message_dict
    services.compensation_decide(acting_user=officer, origin=ORIGIN, claim=claim,
                                 decision="partly", decided_at=timezone.localdate(),
                                 amount_granted=Decimal("300000"),
                                 paid_at=timezone.localdate())
    claim.refresh_from_db()
    assert claim.amount_granted == Decimal("300000") and claim.paid_at is not None
    with pytest.raises(ValidationError):
        services.referral_add(acting_user=prosecutor, origin=ORIGIN, case=cw.case_a,
                              victim=cw.accused, kind="psychological", crisis_centre=centre,
                              consent="written")


def test_photos_and_held_footage(cw):
    forensic = cw.people["forensic"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    photo = services.photo_add(acting_user=forensic, origin=ORIGIN, examination=cw.examination,
                               upload=SimpleUploadedFile("chest.png", png), caption="chest")
    assert photo.media_type == "image/png" and len(photo.sha256) == 64
    with pytest.raises(ValidationError) as error:
        services.photo_add(acting_user=forensic, origin=ORIGIN, examination=cw.examination,
                           upload=SimpleUploadedFile("notes.txt", b"just text"))
    assert "photo" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.photo_add(acting_user=cw.people["forensic_2"], origin=ORIGIN,
                           examination=cw.examination, upload=SimpleUploadedFile("a.png", png))
    hold = LegalHold.objects.get(complaint=cw.complaint)
    item = services.evidence_register(
        acting_user=cw.people["prosecutor_a"], origin=ORIGIN, case=cw.case_a, label="F1",
        kind="footage", description="Held footage of FA-1", found_at="NVR1",
        collected_by="K.", collected_at=timezone.now(), holder="K.", location="Server",
        legal_hold=hold)
    assert item.legal_hold == hold and len(item.sha256) == 64
    with pytest.raises(ValidationError) as error:
        services.evidence_register(
            acting_user=cw.people["gpo"], origin=ORIGIN, case=cw.case_b, label="F1",
            kind="footage", description="x", found_at="x", collected_by="K.",
            collected_at=timezone.now(), holder="K.", location="Server", legal_hold=hold)
    assert "legal_hold" in error.value.message_dict
