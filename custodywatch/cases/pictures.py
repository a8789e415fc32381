"""Pictures of a case drawn on the server (CSP-safe SVG): clocks, the evidence chain, the body
diagram, and the timeline of transitions and steps."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from custodywatch.cases import body
from custodywatch.cases.models import CaseStep, CaseTransition, EvidenceItem
from custodywatch.custody import presenters
from custodywatch.kernels.case_clocks import CaseClock, CaseClockKind
from custodywatch.kernels.deadlines import ClockKind, ClockState


def clock_names() -> dict[str, str]:
    return {CaseClockKind.FIRST_STEP: _("First investigative step"),
            CaseClockKind.EXAMINATION: _("Forensic examination"),
            CaseClockKind.DECISION: _("Decision on the case")}


def clock_views(clocks: list[CaseClock]) -> list[presenters.ClockView]:
    """The case's clocks in the custody clocks' picture (_clock.html)."""
    vocabulary = presenters.words()
    names = clock_names()
    views = []
    for item in clocks:
        words = dataclasses.replace(vocabulary, names={ClockKind.DETENTION: names[item.kind]})
        view = presenters.clock_views([item.clock], vocabulary=words)[0]
        remaining = abs(item.clock.remaining.total_seconds())
        if item.clock.state != ClockState.MET and remaining >= 2 * 86400:
            days = _("%(days)d days") % {"days": remaining // 86400}
            template = vocabulary.over_by if item.clock.state == ClockState.OVERDUE \
                else vocabulary.left
            view = dataclasses.replace(view, state_text=template % {
                "state": vocabulary.states[item.clock.state], "time": days})
        views.append(dataclasses.replace(view, kind=item.kind.value))
    return views


# ------------------------------------------------------------------ evidence chain

ROW, NODE_W, NODE_H, GAP = 64, 150, 40, 40


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


def evidence_chain_svg(items: list[EvidenceItem]) -> SafeString:
    """Each item a row: collection, then each holder in turn, arrows labelled with dates."""
    if not items:
        return SafeString("")
    rows = []
    widest = 0
    for row, item in enumerate(items):
        transfers = list(item.transfers.all())
        holders = [(transfers[0].from_holder if transfers else item.holder,
                    transfers[0].from_location if transfers else item.location,
                    _moment(item.collected_at))]
        holders += [(t.to_holder, t.to_location, _moment(t.transferred_at)) for t in transfers]
        y = row * ROW + 22
        parts = [format_html('<text class="chain-label" x="0" y="{}">{} · {}</text>',
                             y - 6, item.label, item.get_kind_display())]
        for n, (holder, location, when) in enumerate(holders):
            x = n * (NODE_W + GAP)
            if n:
                parts.append(format_html(
                    '<line class="chain-arrow" x1="{}" y1="{}" x2="{}" y2="{}" '
                    'marker-end="url(#chain-head)"/><text class="chain-when" x="{}" y="{}">{}'
                    '</text>', x - GAP, y + NODE_H / 2, x - 4, y + NODE_H / 2, x - GAP,
                    y + NODE_H + 12, when))
            parts.append(format_html(
                '<g class="chain-node"><title>{} · {} · {}</title><rect x="{}" y="{}" '
                'width="{}" height="{}" rx="6"/><text x="{}" y="{}">{}</text>'
                '<text class="chain-place" x="{}" y="{}">{}</text></g>',
                holder, location, when, x, y, NODE_W, NODE_H, x + 6, y + 16, holder[:24],
                x + 6, y + 32, location[:26]))
        widest = max(widest, len(holders))
        rows.append(SafeString("".join(parts)))
    width = widest * (NODE_W + GAP)
    height = len(items) * ROW + 10
    return format_html(
        '<svg class="evidence-chain" viewBox="-2 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}"><defs><marker id="chain-head" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z"/>'
        '</marker></defs>{}</svg>', width, height, width, height,
        _("Chain of custody of each evidence item"), SafeString("".join(rows)))


# ------------------------------------------------------------------ body diagram


@dataclass(frozen=True)
class Mark:
    number: int
    view: str
    cx: float
    cy: float
    finding: body.Marked  # a Finding, or a medical examination's Injury


def body_diagram(findings: Sequence[body.Marked], *, clickable: bool) -> dict[str, Any]:
    """Shapes of both views and numbered marks, in the template's coordinates."""
    views = []
    for offset, view in ((0, "front"), (body.WIDTH + 20, "back")):
        views.append({"name": view, "label": _("Front") if view == "front" else _("Back"),
                      "offset": offset, "shapes": body.shapes(view)})
    marks = [Mark(n, f.view, (0 if f.view == "front" else body.WIDTH + 20) + f.x * body.WIDTH,
                  f.y * body.HEIGHT, f) for n, f in enumerate(findings, start=1)]
    return {"views": views, "marks": marks, "clickable": clickable,
            "width": 2 * body.WIDTH + 20, "height": body.HEIGHT}


# ------------------------------------------------------------------ timeline


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str
    title: str
    text: str
    who: str


def case_timeline(transitions: list[CaseTransition], steps: list[CaseStep]
                  ) -> list[TimelineEntry]:
    entries = []
    for t in transitions:
        title = (_("Registered") if not t.from_status else
                 _("%(from)s → %(to)s") % {"from": t.get_from_status_display(),
                                           "to": t.get_to_status_display()})
        text = " · ".join(x for x in (t.get_ground_display() if t.ground else "", t.note) if x)
        entries.append(TimelineEntry(t.at, "transition", title, text,
                                     t.actor.username if t.actor else ""))
    for s in steps:
        entries.append(TimelineEntry(s.taken_at, "step", s.get_kind_display(), s.description,
                                     s.recorded_by.username if s.recorded_by else ""))
    return sorted(entries, key=lambda e: e.at)


def proof_context(view) -> dict:
    """What ledger/_inclusion.html needs for one leaf."""
    return {"view": view, "leaf_hash_b64": base64.b64encode(view.leaf_hash).decode(),
            "proof_b64": [base64.b64encode(h).decode() for h in view.proof],
            "root_b64": (base64.b64encode(bytes(view.checkpoint.root)).decode()
                         if view.checkpoint else "")}

