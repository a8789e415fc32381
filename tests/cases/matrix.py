"""Objects of the cases app for the authorization matrix (tests/test_authorization_matrix.py):
one case per facility of the matrix's worlds, with a victim, an accused officer, a requested
examination and an evidence item with a file. Each case has its own examiner ("matrix_forensic"
examines case a only), and case a alone has a compensation claim, so that the examiner and the
compensation officer each have a case inside and a case outside what is theirs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role, User
from custodywatch.cases import services
from custodywatch.cases.models import CaseParty
from custodywatch.registry.models import Facility
from tests.conftest import make_user

EXAMINERS = ("matrix_forensic", "matrix_forensic_b")


def _examiner(number: int) -> User:
    username = EXAMINERS[number % len(EXAMINERS)]
    return (User.objects.filter(username=username).first()
            or make_user(username, Role.FORENSIC_EXPERT))


def case_objects(people: dict[str, User], facility: Facility, number: int) -> dict:
    """Opened by the region's prosecutor for facility A's region, else by the GPO."""
    prosecutor = (people["prosecutor_a"] if people["prosecutor_a"].region_id
                  == facility.region_id else people["gpo"])
    case = services.case_open(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                              register_number=f"26{number:013d}", title="Matrix case",
                              facility=facility, ex_officio=True)
    victim = services.party_add_person(acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=case,
                                       role=CaseParty.Role.VICTIM, full_name="Matrix Victim")
    accused = services.party_add_officer(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                         case=case, role=CaseParty.Role.ACCUSED,
                                         full_name="Matrix Officer")
    examination = services.examination_request(
        acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=case, subject=victim,
        examiner=_examiner(number))
    evidence = services.evidence_register(
        acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=case, label="E1", kind="physical",
        description="Baton", found_at="R1", collected_by="K.", collected_at=timezone.now(),
        holder="K.", location="Office",
        # Distinct bytes per facility: a leak check finds one case's file in another's package.
        upload=SimpleUploadedFile(f"E1-{facility.code}.bin",
                                  f"evidence of {facility.code}".encode() * 8))
    if number == 0:
        services.compensation_claim_add(
            acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=case, victim=victim,
            claimed_at=timezone.localdate() - dt.timedelta(days=1),
            amount_claimed=Decimal("1000000"))
    return {"case": case, "examination": examination, "evidence": evidence,
            "officer": accused.officer}


def with_case(world, people: dict[str, User], number: int):  # type: ignore[no-untyped-def]
    return dataclasses.replace(world, **case_objects(people, world.facility, number))
