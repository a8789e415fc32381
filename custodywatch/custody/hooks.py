"""What the apps above custody tell it through functions they register at start-up (custody
imports none of them: the layers forbid it).

- accused officers (cases): of some officers' ids, those with an open complaint accusing
  them or an open case where they are a suspect or accused. Custody shows the flag on an
  interrogation to readers of proceedings only; a facility never sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

AccusedOfficers = Callable[[Collection[int]], set[int]]
_accused: list[AccusedOfficers] = []


def register_accused_officers(provider: AccusedOfficers) -> None:
    if provider not in _accused:
        _accused.append(provider)


def accused_officers(officer_ids: Collection[int]) -> set[int]:
    ids = {pk for pk in officer_ids if pk is not None}
    found: set[int] = set()
    if ids:
        for provider in _accused:
            found |= provider(ids)
    return found
