"""Which facilities a person may see: the one rule every app's selectors build on."""

from __future__ import annotations

from django.db.models import Q

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import Scope, User


def facility_q(user: User, path: str = "") -> Q:
    """A filter on the model at `path` (a lookup path to a Facility; "" for Facility itself).

    Country scope sees every facility; region scope the facilities of its region;
    facility scope its own facility only. Anyone else sees nothing, and so does another state
    system (e-appeals): its token files complaints and reads nothing (its role lacks
    READ_IN_SCOPE in accounts.capabilities).
    """
    prefix = f"{path}__" if path else ""
    if not user.is_active or not has_capability(user, Capability.READ_IN_SCOPE):
        return Q(pk__in=[])
    if user.scope == Scope.COUNTRY:
        return Q()
    if user.scope == Scope.REGION and user.region_id:
        return Q(**{f"{prefix}region_id": user.region_id})
    if user.scope == Scope.FACILITY and user.facility_id:
        return Q(**{f"{prefix}pk" if not path else f"{path}_id": user.facility_id})
    return Q(pk__in=[])


def region_q(user: User, path: str = "") -> Q:
    """A filter on a Region model (at `path`): the regions a person's scope touches."""
    prefix = f"{path}__" if path else ""
    if not has_capability(user, Capability.READ_IN_SCOPE):
        return Q(pk__in=[])
    if user.scope == Scope.COUNTRY:
        return Q()
    if user.scope == Scope.REGION and user.region_id:
        return Q(**{f"{prefix}pk": user.region_id})
    if user.scope == Scope.FACILITY and user.facility_id:
        return Q(**{f"{prefix}facilities": user.facility_id})
    return Q(pk__in=[])


def video_writer_facility_id(user: User, token: object | None) -> int | None:
    """The one facility whose video this sign-in may write, or None: the rule for every
    agent write (heartbeats, state spans, recordings, reference syncs, preservation reports,
    camera inventory).

    Only an active edge-agent account (WRITE_VIDEO) writes, and only for the facility its
    account belongs to. A token's facility binding can only narrow that (a token bound to
    another facility writes nothing); it never widens what the account may do, whoever holds
    it.
    """
    if not user.is_active or not has_capability(user, Capability.WRITE_VIDEO) \
            or user.facility_id is None:
        return None
    bound = getattr(token, "facility_id", None) if token is not None else None
    if bound is not None and bound != user.facility_id:
        return None
    return user.facility_id
