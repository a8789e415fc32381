"""The rules of routing, deadlines and attachments: tables, so a change of law is one line.

Routing: torture and cruel treatment are the prosecutor's exclusive jurisdiction since
1 January 2023; threats and denial of a lawyer or of care fall under the prosecutor's
supervision of legality in custody; conditions of detention and anything else go to the
Ombudsperson (the national preventive mechanism's coordinator). Always in the region of the
facility concerned (or the region the complainant named).

Deadlines reuse the clock states of custodywatch.kernels.deadlines (running, due soon,
overdue, met); only the terms live here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from custodywatch.complaints.models import Category, HandlingBody

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)

ROUTING: dict[str, HandlingBody] = {
    Category.TORTURE: HandlingBody.PROSECUTOR,
    Category.CRUEL_TREATMENT: HandlingBody.PROSECUTOR,
    Category.THREATS: HandlingBody.PROSECUTOR,
    Category.DENIAL_OF_CARE: HandlingBody.PROSECUTOR,
    Category.CONDITIONS: HandlingBody.OMBUDSPERSON,
    Category.OTHER: HandlingBody.OMBUDSPERSON,
}


@dataclass(frozen=True)
class ComplaintTerms:
    # Registration in the pre-trial register (ERDR) or the appeals register within 24 hours.
    registration: dt.timedelta = 24 * HOUR
    # The answer term: 15 working days (Administrative Procedure Code, art. 76), kept as 21
    # calendar days here; torture reports are decided within 3 days of registration.
    answer: dt.timedelta = 21 * DAY
    torture_answer: dt.timedelta = 3 * DAY
    warnings: tuple[dt.timedelta, ...] = (3 * DAY, 6 * HOUR)


COMPLAINT_TERMS = ComplaintTerms()


def answer_term(category: str, terms: ComplaintTerms = COMPLAINT_TERMS) -> dt.timedelta:
    if category in (Category.TORTURE, Category.CRUEL_TREATMENT):
        return terms.torture_answer
    return terms.answer


# The footage a complaint holds: the incident period widened on both sides (clocks drift,
# complainants remember approximately), or, with no period given, the last days before filing.
HOLD_MARGIN = 2 * HOUR
HOLD_DEFAULT_LOOKBACK = 14 * DAY

# Attachments: size and type limits. The type is decided by the file's first bytes, never by
# the name or the browser's claim.
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENTS = 5
MAX_TEXT_CHARS = 20_000

# Receipt codes (services.complainant_open): in the window, at most this many wrong codes
# from one terminal (a browser's cookie; a client without one counts as its address), at most
# RECEIPT_CODE_FAILURE_LIMIT wrong secrets for one code's locator, and at most
# RECEIPT_ADDRESS_FAILURE_LIMIT from one address in all (a NAT, a facility's kiosk network),
# then a wait. A shared address keeps working for its other terminals.
RECEIPT_FAILURE_LIMIT = 10
RECEIPT_CODE_FAILURE_LIMIT = 5
RECEIPT_ADDRESS_FAILURE_LIMIT = 100
RECEIPT_WINDOW = dt.timedelta(minutes=15)

# Identity access approved by a custodian lasts this long; break-the-glass likewise.
IDENTITY_ACCESS_TERM = 24 * HOUR

# Kiosk submissions: the received time is kept to this precision, so that the moment a
# person used the terminal cannot be matched to a complaint (the batch window).
KIOSK_BATCH = dt.timedelta(hours=1)

# Complaint terminals (complaints/terminals.py). An enrolment code is good for this long; the
# kiosk page sends a heartbeat every TERMINAL_HEARTBEAT; heartbeats no further apart than
# TERMINAL_HEARTBEAT_GAP make one span of uptime. A terminal silent longer than its set time
# (settings CUSTODYWATCH_TERMINAL_SILENCE_MINUTES, default below) is an alert.
TERMINAL_ENROLMENT_TERM = 24 * HOUR
TERMINAL_HEARTBEAT = dt.timedelta(seconds=60)
TERMINAL_HEARTBEAT_GAP = dt.timedelta(minutes=3)
TERMINAL_SILENCE_MINUTES = 30
# Per-terminal rate: more than TERMINAL_BURST_LIMIT complaints from one terminal within
# TERMINAL_BURST_WINDOW are each filed all the same, flagged for the handler as a burst.
TERMINAL_BURST_LIMIT = 5
TERMINAL_BURST_WINDOW = dt.timedelta(minutes=10)
