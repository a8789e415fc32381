from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from custodywatch.custody.models import CustodyRecord
from custodywatch.escrow import selectors


@login_required
def record_footage(request: HttpRequest, pk: int) -> HttpResponse:
    """Which minutes of a custody record's stays and interrogations are escrowed off-site,
    held at the facility only, or lost. Same scope as the record's page."""
    try:
        record, rows = selectors.record_footage(user=request.user, pk=pk,
                                                origin=request.origin)
    except CustodyRecord.DoesNotExist:
        raise Http404 from None
    totals = [sum(getattr(row, name) for row in rows)
              for name in ("escrowed_minutes", "local_minutes", "lost_minutes")]
    return render(request, "escrow/record_footage.html",
                  {"record": record, "rows": rows, "totals": totals})


@login_required
def blackouts(request: HttpRequest) -> HttpResponse:
    """Facility blackouts in the reader's scope and, for each, what exists off-site and what
    may be lost, camera by camera."""
    rows = selectors.blackout_footage(user=request.user, origin=request.origin)
    return render(request, "escrow/blackouts.html", {"rows": rows})
