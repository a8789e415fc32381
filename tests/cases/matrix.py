"""Objects of the cases app for the authorization matrix (tests/test_authorization_matrix.py):
one case per facility of the matrix's worlds, with a victim, an accused officer, a requested
examination and a physical evidence item."""

from __future__ import annotations

import dataclasses

from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role, User
from custodywatch.cases import services
from custodywatch.cases.models import CaseParty
from custodywatch.registry.models import Facility
from tests.conftest import make_user

# Who reads cases (among the matrix's STAFF) and who runs them.
CASE_READERS = frozenset({"admin", "gpo", "prosecutor_a"})
CASE_PROSECUTORS = frozenset({"gpo", "prosecutor_a"})


def _examiner() -> User:
    return (User.objects.filter(username="matrix_forensic").first()
            or make_user("matrix_forensic", Role.FORENSIC_EXPERT))


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
    examination = services.examination_request(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                               case=case, subject=victim, examiner=_examiner())
    evidence = services.evidence_register(
        acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=case, label="E1", kind="physical",
        description="Baton", found_at="R1", collected_by="K.", collected_at=timezone.now(),
        holder="K.", location="Office")
    return {"case": case, "examination": examination, "evidence": evidence,
            "officer": accused.officer}


def with_case(world, people: dict[str, User], number: int):  # type: ignore[no-untyped-def]
    return dataclasses.replace(world, **case_objects(people, world.facility, number))
