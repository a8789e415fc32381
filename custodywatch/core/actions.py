"""One pattern for pages with many actions (issue 26 item 3).

A page that changes its object in several ways (a case, a complaint, a visit, a
recommendation) posts each change as a named action. An action is four things, written once:
its name, the form that reads the POST, the check that refuses who may not (a capability or a
policy), and the service call. `Actions.dispatch` does the rest the same way on every page:
an unknown name is a 404, the check runs, the form is bound and checked, the service is called,
and a service's refusal (ValidationError) lands on the form beside the field it names
(`add_service_errors`). The service audits the change (accounts.audit; views never do).

    ACTIONS: Actions[Case] = Actions()

    @ACTIONS.action("step", form=lambda request, case: forms.StepForm(request.POST),
                    check=_may_write)
    def _step(request, case, form):
        services.case_step_add(acting_user=request.user, origin=request.origin, case=case,
                               **form.cleaned_data)

    outcome = ACTIONS.dispatch(request, case, action)
    if outcome.ok: ... redirect ...  else: ... render the page with outcome.form, 422 ...

`request.origin` (where the request came from, for the audit trail) is set once for every
request by `custodywatch.accounts.middleware.OriginMiddleware`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404

if TYPE_CHECKING:  # types only: every page with actions is behind login
    from django_stubs_ext import StrOrPromise

    from custodywatch.accounts.http import AuthedRequest

T = TypeVar("T")

FormFactory = Callable[["AuthedRequest", T], forms.BaseForm]
Run = Callable[["AuthedRequest", T, Any], Any]
Check = Callable[["AuthedRequest", T], None]


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's refusal shown beside the field it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


@dataclass(frozen=True)
class Action(Generic[T]):
    """One named change on a page.

    form: builds the bound form from the request (may raise Http404 for an object the POST
      names that is not there); run: calls the service with the valid form, may return a
      result for the page (e.g. where to go next); check: raises PermissionDenied for who may
      not; slot: where the page shows the form (the name by default); flash: errors are shown
      as a message above the page, which the action then leaves as done (no form on the page),
      with `invalid` as the message for an invalid form.
    """

    name: str
    form: FormFactory[T]
    run: Run[T]
    check: Check[T] | None = None
    slot: str = ""
    flash: bool = False
    invalid: StrOrPromise = ""

    @property
    def place(self) -> str:
        return self.slot or self.name


@dataclass
class Outcome(Generic[T]):
    """What an action did: the form (with the service's errors on it) and the run's result."""

    action: Action[T]
    form: forms.BaseForm
    result: Any = None

    @property
    def ok(self) -> bool:
        """Done without an error."""
        return not self.form.errors

    @property
    def done(self) -> bool:
        """Nothing left to show on the page's form: go back to the page."""
        return self.ok or self.action.flash


class Actions(Generic[T]):
    """The actions of one page, by name."""

    def __init__(self) -> None:
        self._actions: dict[str, Action[T]] = {}

    def action(self, name: str, *, form: FormFactory[T], check: Check[T] | None = None,
               slot: str = "", flash: bool = False, invalid: StrOrPromise = ""
               ) -> Callable[[Run[T]], Run[T]]:
        """Register the decorated function as the service call of the action `name`."""
        def register(run: Run[T]) -> Run[T]:
            if name in self._actions:
                raise ValueError(f"Action {name!r} is registered twice.")
            self._actions[name] = Action(name=name, form=form, run=run, check=check, slot=slot,
                                         flash=flash, invalid=invalid)
            return run
        return register

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def names(self) -> list[str]:
        return list(self._actions)

    def dispatch(self, request: AuthedRequest, target: T, name: str) -> Outcome[T]:
        """Run the action `name` on `target` for this POST; 404 for an unknown name."""
        action = self._actions.get(name)
        if action is None:
            raise Http404
        if action.check is not None:
            action.check(request, target)
        form = action.form(request, target)
        outcome = Outcome(action=action, form=form)
        if form.is_valid():
            try:
                outcome.result = action.run(request, target, form)
            except ValidationError as error:
                if action.flash:
                    messages.error(request, " ".join(error.messages))
                else:
                    add_service_errors(form, error)
        elif action.flash:
            messages.error(request, str(action.invalid) or " ".join(
                str(text) for texts in form.errors.values() for text in texts))
        return outcome
