"""Where each figure of the scorecard leads: the list of its records, filtered to the unit
and the period. Every list applies the reader's scope itself (a unit outside it lists
nothing), so a link never widens what its reader sees.

- detentions, overruns: the custody overruns page for the unit and the days of the period
  (its "Detentions" total is the first figure, its list the overruns);
- blind custody minutes: the video overview of the unit (cameras and rooms now, recording
  gaps of the last day: the video lists have no past period);
- allegations, substantiated: the complaints inbox, the unit's allegations of ill-treatment
  that happened in the period (the incident's day, else the day received, as counted here);
  readers who do not handle complaints get the anonymised statistics instead;
- cases, convictions: the cases list for the unit (the cases pages are still being built:
  the list may not honour the period yet);
- open recommendations: the unit's visit history with its recommendations;
- complaint terminals off: the unit's terminals (for those who manage terminals), else the
  unit's own scorecard page;
- missed reviews and cell checks, broken interrogation safeguards: the unit's duty desk (its
  people now, their review and cell-check clocks and interrogation flags).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import urlencode

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import User
from custodywatch.complaints.terminals import may_manage


def cases_url(**query: str | int) -> str:
    base = reverse("cases:index")
    return f"{base}?{urlencode(query)}" if query else base


class UnitLinks:
    """The lists behind a unit's figures; the reverse() calls are made once per page."""

    def __init__(self, user: User) -> None:
        self.overruns = reverse("custody:overruns")
        self.video = reverse("video:overview")
        self.handler = has_capability(user, Capability.HANDLE_COMPLAINTS)
        self.complaints = reverse("complaints:inbox" if self.handler
                                  else "complaints:statistics")
        self.history = reverse("visits:facility_history", kwargs={"code": "CODE"})
        self.terminals = reverse("complaints:terminals") if may_manage(user) else ""
        self.unit = reverse("reports:unit", kwargs={"code": "CODE"})
        self.desk = reverse("custody:desk", kwargs={"code": "CODE"})

    def for_unit(self, code: str, start: dt.date, end: dt.date, period_key: str
                 ) -> dict[str, str]:
        """``end`` is exclusive, as in reports.selectors.Period."""
        last = end - dt.timedelta(days=1)
        custody = f"{self.overruns}?" + urlencode(
            {"facility": code, "from": start.isoformat(), "to": last.isoformat()})
        if self.handler:
            complaints = f"{self.complaints}?" + urlencode(
                {"facility": code, "allegations": "on", "happened_from": start.isoformat(),
                 "happened_to": last.isoformat()})
        else:
            complaints = self.complaints
        cases = cases_url(facility=code, period=period_key)
        return {"detentions": custody, "overruns": custody,
                "blind_minutes": f"{self.video}?{urlencode({'facility': code})}",
                "allegations": complaints, "substantiated": complaints,
                "cases": cases, "convictions": cases,
                "open_recommendations": self.history.replace("CODE", quote(code)),
                "terminals_off": f"{self.terminals}?{urlencode({'facility': code})}"
                if self.terminals else self.unit.replace("CODE", quote(code)),
                "safeguard_breaches": self.desk.replace("CODE", quote(code))}
