"""Every write about cases: one function per use case, atomic, audited.

One module per sub-domain; this package re-exports what the rest of the code calls, so
``from custodywatch.cases import services`` keeps working. Refusals (scope, legal rules) are
audited as DENIED before anything is written, so that the refusal stays on record while the
refused change does not. Evidence registrations and transfers queue their ledger leaf in the
same transaction as the row they record."""

from __future__ import annotations

from custodywatch.cases.services._common import (
    CHUNK,
    unit_head_at,
)
from custodywatch.cases.services.accusations import (
    accusation_add,
    accusation_remove,
)
from custodywatch.cases.services.charges import (
    FLAG_FIELDS,
    SENTENCE_FIELDS,
    SENTENCE_MAX,
    charge_add,
    charge_outcome_set,
)
from custodywatch.cases.services.compensation import (
    compensation_claim_add,
    compensation_decide,
)
from custodywatch.cases.services.evidence import (
    evidence_exclusion_record,
    evidence_register,
    evidence_transfer,
)
from custodywatch.cases.services.examinations import (
    PHOTO_TYPES,
    examination_record,
    examination_request,
    finding_add,
    photo_add,
)
from custodywatch.cases.services.lifecycle import (
    case_step_add,
    case_transition,
)
from custodywatch.cases.services.opening import (
    case_open,
)
from custodywatch.cases.services.parties import (
    party_add_officer,
    party_add_person,
)
from custodywatch.cases.services.referrals import (
    ENDED_REFERRAL,
    referral_add,
    referral_service_add,
    referral_status_set,
)

__all__ = [
    "CHUNK",
    "ENDED_REFERRAL",
    "FLAG_FIELDS",
    "PHOTO_TYPES",
    "SENTENCE_FIELDS",
    "SENTENCE_MAX",
    "accusation_add",
    "accusation_remove",
    "case_open",
    "case_step_add",
    "case_transition",
    "charge_add",
    "charge_outcome_set",
    "compensation_claim_add",
    "compensation_decide",
    "evidence_exclusion_record",
    "evidence_register",
    "evidence_transfer",
    "examination_record",
    "examination_request",
    "finding_add",
    "party_add_officer",
    "party_add_person",
    "photo_add",
    "referral_add",
    "referral_service_add",
    "referral_status_set",
    "unit_head_at",
]
