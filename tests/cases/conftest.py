"""Case fixtures: a case in each region, the people around them, and a suspect officer who
holds a prosecutor's account (so "whatever his role" is tested with a role that would
otherwise see the case)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.models import Role, User
from custodywatch.cases import services
from custodywatch.cases.models import Case, CaseParty, Examination
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel, Complaint
from tests.conftest import make_user

ORIGIN = Origin(ip_address="198.51.100.4", user_agent="pytest")
ERDR_A = "261575031000001"
ERDR_B = "261535031000002"
TORTURE_TEXT = "В отделе меня избили дубинкой и требовали признание."


@pytest.fixture(autouse=True)
def _private_keys_and_media(sealing_key, media_root):
    """Every test here seals with its own key and stores files in its own folder."""


@dataclass
class CaseWorld:
    people: dict[str, User]
    complaint: Complaint
    case_a: Case
    case_b: Case
    victim: CaseParty
    accused: CaseParty
    examination: Examination


def file_torture_complaint(facility) -> Complaint:
    return complaints.complaint_file(acting_user=None, origin=ORIGIN, channel=Channel.WEB,
                                     text=TORTURE_TEXT, facility=facility).complaint


@pytest.fixture
def cw(people, facility_a, facility_b) -> CaseWorld:
    staff = dict(people)
    staff["forensic"] = make_user("forensic", Role.FORENSIC_EXPERT)
    staff["forensic_2"] = make_user("forensic_2", Role.FORENSIC_EXPERT)
    staff["compensation"] = make_user("compensation", Role.COMPENSATION_OFFICER)
    staff["ombuds"] = make_user("ombuds", Role.OMBUDSPERSON)
    staff["prosecutor_b"] = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR,
                                      region=facility_b.region)
    staff["prosecutor_a2"] = make_user("prosecutor_a2", Role.REGIONAL_PROSECUTOR,
                                       region=facility_a.region)
    # An officer of facility A with a regional prosecutor's account in the same region.
    staff["suspect"] = make_user("suspect", Role.REGIONAL_PROSECUTOR, region=facility_a.region)
    complaint = file_torture_complaint(facility_a)
    registered = timezone.now() - dt.timedelta(days=2)
    case_a = services.case_open(
        acting_user=staff["prosecutor_a"], origin=ORIGIN, register_number=ERDR_A,
        title="Beating in FA-1", facility=facility_a, complaints=[complaint],
        registered_at=registered, events_from=registered - dt.timedelta(days=1))
    case_b = services.case_open(
        acting_user=staff["gpo"], origin=ORIGIN, register_number=ERDR_B,
        title="Ex officio FB-1", facility=facility_b, ex_officio=True, registered_at=registered)
    victim = services.party_add_person(acting_user=staff["prosecutor_a"], origin=ORIGIN,
                                       case=case_a, role=CaseParty.Role.VICTIM,
                                       full_name="Сейтқали Әсет Ұлықбекұлы", iin="900101300123")
    accused = services.party_add_officer(
        acting_user=staff["prosecutor_a"], origin=ORIGIN, case=case_a,
        role=CaseParty.Role.ACCUSED, full_name="Officer Suspect", personnel_number="P-1",
        rank="captain", position="detective", user=staff["suspect"])
    examination = services.examination_request(
        acting_user=staff["prosecutor_a"], origin=ORIGIN, case=case_a, subject=victim,
        examiner=staff["forensic"], requested_at=registered + dt.timedelta(hours=2))
    return CaseWorld(staff, complaint, case_a, case_b, victim, accused, examination)
