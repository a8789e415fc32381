"""core.actions: one dispatch for pages with many actions, and request.origin set once."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.middleware import OriginMiddleware
from custodywatch.core.actions import Actions, add_service_errors


class NoteForm(forms.Form):
    note = forms.CharField()


def _post(data: dict) -> object:
    request = RequestFactory().post("/", data)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _refuse_strangers(request, target: dict) -> None:
    if not target.get("mine"):
        raise PermissionDenied


def _registry(calls: list) -> Actions[dict]:
    actions: Actions[dict] = Actions()

    @actions.action("note", slot="note_form", check=_refuse_strangers,
                    form=lambda request, target: NoteForm(request.POST))
    def _note(request, target, form):
        if form.cleaned_data["note"] == "refused":
            raise ValidationError({"note": "The service refuses this note."})
        if form.cleaned_data["note"] == "whole":
            raise ValidationError("The service refuses the whole thing.")
        calls.append(form.cleaned_data["note"])
        return "/next/"

    @actions.action("flag", flash=True, invalid="Say why.",
                    form=lambda request, target: NoteForm(request.POST))
    def _flag(request, target, form):
        raise ValidationError("Already flagged.")

    return actions


def test_a_valid_action_calls_the_service_once_and_returns_its_result():
    calls: list = []
    outcome = _registry(calls).dispatch(_post({"note": "seen"}), {"mine": True}, "note")
    assert outcome.ok and outcome.done and outcome.result == "/next/"
    assert calls == ["seen"]
    assert outcome.action.place == "note_form"


def test_an_unknown_action_is_a_404_and_calls_nothing():
    calls: list = []
    with pytest.raises(Http404):
        _registry(calls).dispatch(_post({"note": "seen"}), {"mine": True}, "nonsense")
    assert calls == []


def test_the_check_refuses_before_the_form_or_the_service():
    calls: list = []
    with pytest.raises(PermissionDenied):
        _registry(calls).dispatch(_post({"note": "seen"}), {"mine": False}, "note")
    assert calls == []


def test_an_invalid_form_never_reaches_the_service():
    calls: list = []
    outcome = _registry(calls).dispatch(_post({}), {"mine": True}, "note")
    assert not outcome.ok and not outcome.done and "note" in outcome.form.errors
    assert calls == []


def test_the_services_refusal_lands_beside_the_field_it_names_or_above_the_form():
    registry = _registry([])
    field = registry.dispatch(_post({"note": "refused"}), {"mine": True}, "note")
    assert field.form.errors["note"] == ["The service refuses this note."]
    whole = registry.dispatch(_post({"note": "whole"}), {"mine": True}, "note")
    assert whole.form.non_field_errors() == ["The service refuses the whole thing."]
    assert not field.ok and not whole.ok


def test_a_flash_action_says_its_errors_above_the_page_and_is_done():
    registry = _registry([])
    request = _post({"note": "x"})
    refused = registry.dispatch(request, {}, "flag")
    assert refused.done and [str(m) for m in get_messages(request)] == ["Already flagged."]
    request = _post({})
    invalid = registry.dispatch(request, {}, "flag")
    assert invalid.done and not invalid.ok
    assert [str(m) for m in get_messages(request)] == ["Say why."]


def test_an_action_name_is_registered_once():
    actions: Actions[dict] = Actions()
    actions.action("a", form=lambda request, target: NoteForm())(lambda *args: None)
    with pytest.raises(ValueError, match="twice"):
        actions.action("a", form=lambda request, target: NoteForm())(lambda *args: None)


def test_add_service_errors_names_an_unknown_field_above_the_form():
    form = NoteForm({"note": "x"})
    form.is_valid()
    add_service_errors(form, ValidationError({"elsewhere": "Not on this form."}))
    assert form.non_field_errors() == ["Not on this form."]


def test_the_middleware_sets_the_requests_origin_once():
    seen: list = []

    def view(request):
        seen.append(request.origin)
        return HttpResponse("ok")

    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="probe/1")
    OriginMiddleware(view)(request)
    assert seen == [Origin(ip_address="203.0.113.7", user_agent="probe/1")]
