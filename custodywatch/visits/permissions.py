"""Who does what with visits and recommendations: one place, used by services and selectors."""

from __future__ import annotations

from custodywatch.accounts.models import Role, Scope, User
from custodywatch.visits.models import Recommendation

# The preventive mechanism itself: they plan visits, record findings and interviews, issue
# recommendations and judge their implementation.
MONITORS = frozenset({Role.NPM_MONITOR, Role.OMBUDSPERSON})
# Interview notes are for the monitors alone; not even a system administrator reads them.
INTERVIEW_READERS = MONITORS
# Weights of the planning score: the monitors who plan, and the administrator.
WEIGHT_EDITORS = MONITORS | {Role.SYSTEM_ADMIN}


def is_monitor(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in MONITORS


def sees_visits_before_they_happen(user: User) -> bool:
    """An unannounced visit must not leak: only monitors see visits not yet completed."""
    return is_monitor(user)


def is_addressee(user: User, recommendation: Recommendation) -> bool:
    """The official who answers: the named account, or the head of the facility concerned."""
    if not user.is_authenticated or not user.is_active:
        return False
    if recommendation.responsible_user_id == user.pk:
        return True
    return (
        user.role == Role.FACILITY_HEAD
        and user.scope == Scope.FACILITY
        and recommendation.facility_id is not None
        and recommendation.facility_id == user.facility_id
    )
