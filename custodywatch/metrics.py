"""Prometheus metrics at /metrics, for an authenticated scraper.

Every figure is read from the database when scraped, so any web node answers the same and
nothing is lost with a process: queue depths and their lag (ledger integration, coverage
work, the worker's tasks), the ingestion totals (a counter: Prometheus derives the rate),
alert delivery (alerts raised but not yet e-mailed; e-mail retries waiting; e-mail given up)
and the open facility-level alerts. The scraper sends
``Authorization: Bearer <CUSTODYWATCH_METRICS_TOKEN>``; without the setting the endpoint
does not exist (404), with a wrong token it answers 401.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Max, Min, Model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from custodywatch.custody.models import CustodyAlert, CustodyRecord
from custodywatch.ledger.models import Leaf, PendingLeaf
from custodywatch.video.models import AgentDiskAlert, CoverageIncident, CoverageWork


def _queue(name: str, documentation: str, model: type[Model], stamp: str) -> Iterator[Metric]:
    """Depth of a queue and the age of its oldest entry (0 when empty)."""
    now = timezone.now()
    figures = model._default_manager.aggregate(oldest=Min(stamp))  # `objects` of each queue
    depth = model._default_manager.count()
    yield GaugeMetricFamily(f"custodywatch_{name}_depth", f"{documentation}: entries waiting",
                            value=depth)
    lag = (now - figures["oldest"]).total_seconds() if figures["oldest"] else 0.0
    yield GaugeMetricFamily(f"custodywatch_{name}_lag_seconds",
                            f"{documentation}: age of the oldest entry waiting", value=lag)


def _tasks() -> Iterator[Metric]:
    """The worker's task queue (e-mail, core/mail.py): what is due now and how late, the
    retries waiting for their time, and the tasks that failed (kept 30 days)."""
    now = timezone.now()
    due = DBTaskResult.objects.ready()
    oldest = due.aggregate(oldest=Min("enqueued_at"))["oldest"]
    yield GaugeMetricFamily("custodywatch_tasks_depth", "Tasks due and not yet run",
                            value=due.count())
    yield GaugeMetricFamily("custodywatch_tasks_lag_seconds",
                            "Age of the oldest task due and not yet run",
                            value=(now - oldest).total_seconds() if oldest else 0.0)
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__gt=now)
    yield GaugeMetricFamily("custodywatch_tasks_deferred",
                            "Tasks waiting for a later time (e-mail retries)",
                            value=waiting.count())
    yield GaugeMetricFamily("custodywatch_tasks_failed", "Tasks that failed (e-mail given up)",
                            value=DBTaskResult.objects.filter(
                                status=TaskResultStatus.FAILED).count())


class DatabaseCollector:
    def collect(self) -> Iterator[Metric]:
        yield from _queue("ledger_integration", "Ledger entries not yet in the log",
                          PendingLeaf, "queued_at")
        yield from _queue("coverage_work", "Rooms and times whose blind time is to be "
                          "recomputed", CoverageWork, "queued_at")
        yield from _tasks()
        # Totals read off the primary keys' index (a count of a table of millions at every
        # scrape would cost the database more than the scrape is worth).
        top_leaf = Leaf.objects.aggregate(top=Max("index"))["top"]
        yield CounterMetricFamily("custodywatch_ledger_leaves",
                                  "Entries integrated into the evidence ledger",
                                  value=0 if top_leaf is None else top_leaf + 1)
        yield CounterMetricFamily("custodywatch_custody_records",
                                  "Custody records registered (ingestion; the highest id)",
                                  value=CustodyRecord.objects.aggregate(top=Max("pk"))["top"]
                                  or 0)
        unmailed = GaugeMetricFamily("custodywatch_alerts_unmailed",
                                     "Alerts raised but not yet e-mailed (delivery backlog or "
                                     "failures)", labels=["kind"])
        unmailed.add_metric(["custody"], CustodyAlert.objects.filter(mailed_at__isnull=True)
                            .count())
        unmailed.add_metric(["agent_disk"], AgentDiskAlert.objects.filter(
            mailed_at__isnull=True, cleared_at__isnull=True).count())
        unmailed.add_metric(["coverage_incident"], CoverageIncident.objects.filter(
            mailed_at__isnull=True).count())
        yield unmailed
        yield GaugeMetricFamily("custodywatch_agent_disk_full_facilities",
                                "Facilities whose agent reports a full disk now",
                                value=AgentDiskAlert.objects.filter(cleared_at__isnull=True)
                                .count())


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse(status=404)
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return HttpResponse("a bearer token is required\n", status=401,
                            content_type="text/plain", headers={"WWW-Authenticate": "Bearer"})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
