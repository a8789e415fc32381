"""The custody law table in force: the packaged JSON, or the file settings name."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from django.conf import settings

from custodywatch.kernels.custody_law import LawTable, load_law
from custodywatch.kernels.deadlines import CustodyTerms, Regime

DEFAULT_LAW_FILE = Path(__file__).with_name("law") / "custody_law.json"


@functools.cache
def _table(path: str) -> LawTable:
    return load_law(path)


def law_table() -> LawTable:
    """`CUSTODYWATCH_CUSTODY_LAW_FILE` replaces the packaged table (a jurisdiction's own)."""
    return _table(str(getattr(settings, "CUSTODYWATCH_CUSTODY_LAW_FILE", "") or
                      DEFAULT_LAW_FILE))


def terms_on(moment: dt.datetime) -> CustodyTerms:
    return law_table().terms_on(moment)


def proposed_regime(facility_kind: str) -> Regime:
    return law_table().proposed_regime(facility_kind)
