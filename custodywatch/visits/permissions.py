"""Who does what with visits and recommendations, as the capability table says
(accounts.capabilities): used by services, selectors and views."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from custodywatch.accounts.capabilities import Capability, has_capability, user_can
from custodywatch.accounts.models import Scope, User
from custodywatch.visits.models import Recommendation


def is_monitor(user: User) -> bool:
    """The preventive mechanism itself (PLAN_VISITS): they plan visits, record findings and
    interviews, issue recommendations and judge their implementation."""
    return user_can(user, Capability.PLAN_VISITS)


def reads_interview_notes(user: User) -> bool:
    """Interview notes are for the monitors alone; not even a system administrator reads
    them."""
    return has_capability(user, Capability.READ_INTERVIEW_NOTES)


def may_set_weights(user: User) -> bool:
    """Weights of the planning score: the monitors who plan, and the administrator."""
    return has_capability(user, Capability.SET_PLANNING_WEIGHTS)


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
        has_capability(user, Capability.ANSWER_RECOMMENDATIONS)
        and user.scope == Scope.FACILITY
        and recommendation.facility_id is not None
        and recommendation.facility_id == user.facility_id
    )


def may_comment(user: User | AnonymousUser) -> bool:
    """A registered NGO comments on the public recommendations."""
    return user_can(user, Capability.COMMENT_ON_RECOMMENDATIONS)


def may_moderate(user: User) -> bool:
    return user_can(user, Capability.MODERATE_COMMENTS)
