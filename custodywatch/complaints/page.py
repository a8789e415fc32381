"""The complaint page's parts that the apps above complaints add (complaints imports none of
them: the layers forbid it). Each registers in its AppConfig.ready:

- actions: ``ACTIONS`` is the page's table of named actions (core/actions.py), posted to
  ``complaints:action`` and run for the complaint's handlers only (the view's
  ``handlers_only``; the services check the rest). Cases adds linking and unlinking accused
  officers (cases/complaint_page.py) with ``@ACTIONS.action(...)``.
- sections: ``register_detail_section(name, provider)``, where ``provider(request, complaint,
  forms)`` returns a ``DetailSection``: variables of complaints/detail.html (``forms`` are the
  bound forms of an action that failed, by slot) and the case numbers the reader may see on
  the complaint's timeline (a "case opened" event names its case only to those who may open
  it; without a section that says so, it names none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.forms import BaseForm

from custodywatch.accounts.http import AuthedRequest
from custodywatch.complaints.models import Complaint
from custodywatch.core.actions import Actions

ACTIONS: Actions[Complaint] = Actions()


@dataclass(frozen=True)
class DetailSection:
    context: Mapping[str, Any] = field(default_factory=dict)
    visible_cases: frozenset[str] = frozenset()  # register numbers of cases the reader may open


DetailSectionProvider = Callable[[AuthedRequest, Complaint, Mapping[str, BaseForm]],
                                 DetailSection]
_sections: dict[str, DetailSectionProvider] = {}


def register_detail_section(name: str, provider: DetailSectionProvider) -> None:
    """Once per name (an app's ready may run again: the last provider stays)."""
    _sections[name] = provider


def detail_sections(request: AuthedRequest, complaint: Complaint,
                    forms: Mapping[str, BaseForm]) -> DetailSection:
    """Every registered section of the complaint's page, merged (in the order registered)."""
    context: dict[str, Any] = {}
    visible: set[str] = set()
    for provider in _sections.values():
        section = provider(request, complaint, forms)
        context.update(section.context)
        visible |= section.visible_cases
    return DetailSection(context=context, visible_cases=frozenset(visible))
