"""Legal rules of torture cases: the register number, the lifecycle, art. 146. Pure, no Django.

Texts are English source strings marked with :func:`gettext_noop` so that ``makemessages``
collects them; the service layer translates them when it refuses an entry. Statuses and
articles are the plain string values of ``cases.models.CaseStatus`` / ``Article``.

Decisions, stated once:
- The register number is the Unified Register of Pre-trial Investigations (ERDR) number:
  exactly 15 digits. Spaces and dashes people type between groups are ignored.
- Art. 146 (torture): no probation, no amnesty, no release by the statute of limitations, by
  reconciliation with the victim or for active repentance. The rule applies to every art. 146
  charge carrying such a mark, whatever its verdict: release from liability on those grounds
  (a dismissed charge) is as unlawful as a conviction that carries them.
- Transitions follow :data:`TRANSITIONS`; closing needs a ground, reopening a closed case a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ART_146_RULES",
    "RELEASE_FLAGS",
    "TRANSITIONS",
    "RuleViolation",
    "allowed_transitions",
    "charge_rule_violations",
    "check_register_number",
    "check_transition",
    "normalise_register_number",
]


def gettext_noop(text: str) -> str:
    """Marks a string for translation without translating it (Django's name for it)."""
    return text


REGISTER_DIGITS = 15
_SEPARATORS = re.compile(r"[\s\-]+")
_REGISTER = re.compile(rf"\d{{{REGISTER_DIGITS}}}")

TORTURE_ARTICLE = "146"
CONVICTED = "convicted"


@dataclass(frozen=True)
class RuleViolation:
    code: str  # stable, stored in rule_flags
    field: str  # the field it concerns, for an error beside it
    text: str  # English source; translate with gettext in the service layer


def normalise_register_number(value: str) -> str:
    return _SEPARATORS.sub("", value or "")


def check_register_number(value: str) -> RuleViolation | None:
    """None when ``value`` (spaces and dashes ignored) is 15 digits."""
    number = normalise_register_number(value)
    if _REGISTER.fullmatch(number):
        return None
    return RuleViolation("register_number_format", "register_number", gettext_noop(
        "The ERDR number has exactly 15 digits (for example 241575031000123)."))


# Field of the charge -> (rule code, rule text).
ART_146_RULES: dict[str, tuple[str, str]] = {
    "probation": ("art146_no_probation", gettext_noop(
        "Torture (art. 146): a conviction cannot carry probation (a conditional sentence).")),
    "amnesty": ("art146_no_amnesty", gettext_noop(
        "Torture (art. 146): amnesty does not apply to persons convicted of torture.")),
    "limitation": ("art146_no_limitation", gettext_noop(
        "Torture (art. 146): the statute of limitations does not apply to torture.")),
    "reconciliation": ("art146_no_reconciliation", gettext_noop(
        "Torture (art. 146): no release from liability by reconciliation with the victim.")),
    "active_repentance": ("art146_no_active_repentance", gettext_noop(
        "Torture (art. 146): no release from liability for active repentance.")),
}
RELEASE_FLAGS = tuple(ART_146_RULES)


def charge_rule_violations(*, article: str, verdict: str, flags: dict[str, bool]
                           ) -> list[RuleViolation]:
    """Every rule a charge breaks, in the order of :data:`RELEASE_FLAGS`."""
    if article != TORTURE_ARTICLE:
        return []
    return [RuleViolation(ART_146_RULES[name][0], name, ART_146_RULES[name][1])
            for name in RELEASE_FLAGS if flags.get(name)]


REGISTERED, INVESTIGATION, SUSPENDED, CLOSED = "registered", "investigation", "suspended", "closed"
SENT_TO_COURT, VERDICT, APPEAL, FINAL = "sent_to_court", "verdict", "appeal", "final"
STATUSES = (REGISTERED, INVESTIGATION, SUSPENDED, CLOSED, SENT_TO_COURT, VERDICT, APPEAL, FINAL)

# The lifecycle: from -> the statuses it may go to. Nothing else is allowed.
TRANSITIONS: dict[str, frozenset[str]] = {
    REGISTERED: frozenset({INVESTIGATION}),
    INVESTIGATION: frozenset({SUSPENDED, CLOSED, SENT_TO_COURT}),
    SUSPENDED: frozenset({INVESTIGATION}),
    CLOSED: frozenset({INVESTIGATION}),  # reopened, with a note
    SENT_TO_COURT: frozenset({VERDICT}),
    VERDICT: frozenset({APPEAL, FINAL}),
    APPEAL: frozenset({FINAL}),
    FINAL: frozenset(),
}
# Statuses whose arrival is the decision on the case (the art. 12 decision clock stops).
DECISIONS = frozenset({CLOSED, SENT_TO_COURT})


def allowed_transitions(status: str) -> frozenset[str]:
    return TRANSITIONS.get(status, frozenset())


def check_transition(*, from_status: str, to_status: str, ground: str = "", note: str = ""
                     ) -> RuleViolation | None:
    """None when the change is allowed with what was given."""
    if to_status not in allowed_transitions(from_status):
        return RuleViolation("transition_not_allowed", "to_status", gettext_noop(
            "A case cannot go from this status to that one."))
    if to_status == CLOSED and not ground:
        return RuleViolation("closing_needs_ground", "ground", gettext_noop(
            "Closing a case needs its ground."))
    if to_status != CLOSED and ground:
        return RuleViolation("ground_only_for_closing", "ground", gettext_noop(
            "A ground is given only when a case is closed."))
    if from_status == CLOSED and not note.strip():
        return RuleViolation("reopening_needs_note", "note", gettext_noop(
            "Reopening a closed case needs a note saying why."))
    return None
