"""Parts of the UN CAT statistics whose figures live in an app above reports, which reports
does not import: accountability registers them in its AppConfig.ready (accountability/cat.py).

Each slot is called with ``(user, year, scope_label)``:

- ``discipline``: the tables of disciplinary measures (after the deaths in custody);
- ``redress_recourse``: rows of the redress table (the Fund's recourse claims against the
  convicted officers), after the claims paid.

Every slot must be filled: an export without one refuses instead of leaving figures out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from custodywatch.accounts.models import User

SLOTS = ("discipline", "redress_recourse")
Provider = Callable[[User, int, str], list[Any]]
_providers: dict[str, Provider] = {}


def register_cat_provider(slot: str, provider: Provider) -> None:
    if slot not in SLOTS:
        raise ImproperlyConfigured(f"No CAT statistics slot {slot!r} (slots: {SLOTS}).")
    _providers[slot] = provider


def provided(slot: str, user: User, year: int, scope_label: str) -> list[Any]:
    provider = _providers.get(slot)
    if provider is None:
        raise ImproperlyConfigured(
            f"Nothing provides the CAT statistics' {slot!r}: the export would leave figures "
            "out. custodywatch.accountability must be in INSTALLED_APPS (its ready registers "
            "it).")
    return provider(user, year, scope_label)
