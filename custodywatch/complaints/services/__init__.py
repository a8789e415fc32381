"""Every write about complaints: one function per use case, atomic, audited.

One module per sub-domain; this package re-exports what the rest of the code calls, so
``from custodywatch.complaints import services`` keeps working. Refusals are audited as DENIED
before the transaction starts, so that the refusal stays on record while the refused change
does not. Nothing written here names the complainant in an audit label or a ledger leaf."""

from __future__ import annotations

from custodywatch.complaints.services._common import (
    COMPLAINANT_LABEL,
    KIOSK_ORIGIN,
)
from custodywatch.complaints.services.complainant import (
    ReceiptThrottled,
    api_intake_refused,
    complainant_open,
    kiosk_refused,
)
from custodywatch.complaints.services.disposition import (
    complaint_close,
)
from custodywatch.complaints.services.filing import (
    FiledComplaint,
    Identity,
    complaint_file,
)
from custodywatch.complaints.services.holds import (
    escrow_reference,
    legal_hold_details,
    legal_hold_place,
    legal_hold_release,
)
from custodywatch.complaints.services.identity import (
    identity_access_decide,
    identity_access_request,
    identity_access_review,
    identity_unseal,
)
from custodywatch.complaints.services.messages import (
    complainant_reply,
    message_send_official,
)
from custodywatch.complaints.services.routing import (
    _eligible_handler,
    complaint_link_custody_record,
    complaint_reassign,
    complaint_transfer_alerts_send,
)
from custodywatch.complaints.services.triage import (
    complaint_register,
    complaint_triage_confirm,
)

__all__ = [
    "COMPLAINANT_LABEL",
    "FiledComplaint",
    "Identity",
    "KIOSK_ORIGIN",
    "ReceiptThrottled",
    "_eligible_handler",
    "api_intake_refused",
    "complainant_open",
    "complainant_reply",
    "complaint_close",
    "complaint_file",
    "complaint_link_custody_record",
    "complaint_reassign",
    "complaint_register",
    "complaint_transfer_alerts_send",
    "complaint_triage_confirm",
    "escrow_reference",
    "identity_access_decide",
    "identity_access_request",
    "identity_access_review",
    "identity_unseal",
    "kiosk_refused",
    "legal_hold_details",
    "legal_hold_place",
    "legal_hold_release",
    "message_send_official",
]
