"""Per-model permission policies: a capability from the table (accounts.capabilities) with a
scope rule on top, in the spirit of Wagtail's permission policies.

``policy.can(user, action, obj)`` asks the table whether the person's role grants the
action's capability, then whether the object lies in his scope:

- ``IN_SCOPE``: the object's facility is among those ``facility_q`` gives him;
- ``OWN_FACILITY``: a role bound to a facility (ROLE_BOUND_SCOPE) acts on its own facility
  only, any other holder of the capability on any facility (custody registers, camera map
  proposals: what a facility's staff write for their facility and an administrator for all).

Apps whose objects have a scope rule of their own (complaints_q, cases_q) subclass and
override ``scope_q``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet

from custodywatch.accounts.capabilities import Capability, has_capability, is_facility_bound
from custodywatch.accounts.scoping import facility_q

IN_SCOPE = "in_scope"
OWN_FACILITY = "own_facility"


@dataclass(frozen=True)
class ModelPolicy:
    # The model, or its "app_label.Model" (read lazily: accounts sits below the apps whose
    # objects it guards, so it does not import their models).
    model: type[Model] | str
    # action -> the capability it needs
    actions: Mapping[str, Capability]
    # The lookup path from the model to its Facility ("" for Facility itself).
    facility_path: str = ""
    # action -> OWN_FACILITY where the action is not scoped by facility_q (default IN_SCOPE).
    scope_rules: Mapping[str, str] = field(default_factory=dict)

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model) if isinstance(self.model, str) else self.model

    def capability(self, action: str) -> Capability:
        return self.actions[action]

    def user_has_permission(self, user: Any, action: str) -> bool:
        """The role's right to the action, on some object (Wagtail's name)."""
        return has_capability(user, self.capability(action))

    def scope_q(self, user: Any, action: str) -> Q:
        """The objects in the person's scope for this action."""
        if self.scope_rules.get(action, IN_SCOPE) == OWN_FACILITY:
            if not is_facility_bound(user):
                return Q()
            if user.facility_id is None:
                return Q(pk__in=[])
            return Q(pk=user.facility_id) if not self.facility_path else Q(
                **{f"{self.facility_path}_id": user.facility_id})
        return facility_q(user, self.facility_path)

    def instances_q(self, user: Any, action: str) -> Q:
        if not self.user_has_permission(user, action):
            return Q(pk__in=[])
        return self.scope_q(user, action)

    def instances(self, user: Any, action: str) -> QuerySet:
        """The objects the person may act on (Wagtail's instances_user_has_permission_for)."""
        return self.model_class._default_manager.filter(self.instances_q(user, action))

    def facility_id_of(self, obj: Model) -> int | None:
        if not self.facility_path:
            return obj.pk
        *hops, last = self.facility_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop)
        return getattr(obj, f"{last}_id")

    def can(self, user: Any, action: str, obj: Model | int | None = None) -> bool:
        """The right to the action on ``obj`` (an object or its key; on some object where
        None)."""
        if not self.user_has_permission(user, action):
            return False
        if obj is None:
            return True
        if self.scope_rules.get(action, IN_SCOPE) == OWN_FACILITY and isinstance(obj, Model):
            # Decided without a query: the object's facility against the person's own.
            return not is_facility_bound(user) or (
                user.facility_id is not None and self.facility_id_of(obj) == user.facility_id)
        pk = obj.pk if isinstance(obj, Model) else obj
        return self.model_class._default_manager.filter(
            self.scope_q(user, action), pk=pk).exists()


# Actions on a facility as a whole: the person's role must grant the capability, and the
# facility lie in his scope (or be his own, for what its staff write).
FACILITY_POLICY = ModelPolicy(
    "registry.Facility",
    actions={
        "write_custody": Capability.WRITE_CUSTODY,
        "propose_camera_change": Capability.PROPOSE_CAMERA_CHANGE,
        "approve_camera_change": Capability.APPROVE_CAMERA_CHANGE,
        "decide_camera_reference": Capability.DECIDE_CAMERA_REFERENCE,
        "examine_detainees": Capability.EXAMINE_DETAINEES,
        "open_escrowed_footage": Capability.OPEN_ESCROWED_FOOTAGE,
        "release_escrow_hold": Capability.RELEASE_ESCROW_HOLD,
        "assign_body_cameras": Capability.ASSIGN_BODY_CAMERAS,
        # Issue 22 (custody/mass.py, custody/whereabouts.py).
        "declare_mass_detention": Capability.DECLARE_MASS_DETENTION,
        "register_temporary_place": Capability.REGISTER_TEMPORARY_PLACE,
        "review_detention_measures": Capability.REVIEW_DETENTION_MEASURES,
        "record_incommunicado_order": Capability.RECORD_INCOMMUNICADO_ORDER,
    },
    scope_rules={"write_custody": OWN_FACILITY, "propose_camera_change": OWN_FACILITY},
)
