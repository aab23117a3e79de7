"""Prometheus metrics at /metrics: HTTP requests, ingest runs, open dossiers, alerts, sync lag.

Request counters live in each process; under gunicorn set PROMETHEUS_MULTIPROC_DIR so every
worker's counts are summed at scrape time. Database figures are read when scraped.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import time
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select, true
from sqlalchemy.orm import Session

from service.config.settings import SecuritySettings
from service.dossiers.classes import class_counts
from service.models import Alert, AlertDelivery, ConnectorRun, Dossier
from service.portal.overview import sync_overview
from service.vocabulary import DeadlineClass
from service.web.api.auth import current_token
from service.web.session import config

METRICS_PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class DatabaseCollector(Collector):
    """Figures read from the database at scrape time; each source is one function."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime], timezone: str) -> None:
        self.engine = engine
        self.clock = clock
        self.zone = ZoneInfo(timezone)

    def collect(self) -> Iterator[Metric]:
        """Yield every database metric."""
        with Session(self.engine) as session:
            now = self.clock()
            yield from connector_runs(session, now)
            yield open_dossiers(session, now)
            yield from alerts(session)
            yield from portal_sync(session, now, self.zone)


def connector_runs(session: Session, now: dt.datetime) -> Iterator[Metric]:
    """Runs per connector by result, and seconds since each connector's last good run."""
    failed = case((ConnectorRun.error.is_(None), 0), else_=1)
    rows = session.execute(
        select(ConnectorRun.connector, func.count(), func.sum(failed),
               func.max(case((ConnectorRun.error.is_(None), ConnectorRun.finished_at))))
        .group_by(ConnectorRun.connector)
    ).all()
    runs = GaugeMetricFamily("tthc_ingest_runs", "Connector runs recorded, by result",
                             labels=["connector", "result"])
    age = GaugeMetricFamily("tthc_ingest_last_success_age_seconds",
                            "Seconds since the connector's last successful run",
                            labels=["connector"])
    for name, total, errors, last_ok in rows:
        runs.add_metric([name, "ok"], total - (errors or 0))
        runs.add_metric([name, "error"], errors or 0)
        if last_ok is not None:
            stamp = last_ok if last_ok.tzinfo else last_ok.replace(tzinfo=dt.UTC)
            age.add_metric([name], (now - stamp).total_seconds())
    yield runs
    yield age


def open_dossiers(session: Session, now: dt.datetime) -> Metric:
    """Open dossiers by deadline class at `now`, judged as on every other surface."""
    counts = session.execute(select(*class_counts(now)).where(Dossier.is_open == true())).one()
    gauge = GaugeMetricFamily("tthc_open_dossiers", "Open dossiers by deadline class",
                              labels=["deadline_class"])
    for kind, count in zip(DeadlineClass, counts, strict=True):
        gauge.add_metric([kind.value], int(count))
    return gauge


def alerts(session: Session) -> Iterator[Metric]:
    """Alerts raised by kind and level, and their deliveries by channel and state."""
    raised = GaugeMetricFamily("tthc_alerts", "Alerts raised, by kind and level",
                               labels=["kind", "level"])
    for kind, level, count in session.execute(
            select(Alert.kind, Alert.level, func.count()).group_by(Alert.kind, Alert.level)):
        raised.add_metric([kind.value, str(level)], count)
    yield raised
    deliveries = GaugeMetricFamily("tthc_alert_deliveries", "Alert deliveries by state",
                                   labels=["channel", "state"])
    for channel, state, count in session.execute(
            select(AlertDelivery.channel, AlertDelivery.state, func.count())
            .group_by(AlertDelivery.channel, AlertDelivery.state)):
        deliveries.add_metric([channel, state.value], count)
    yield deliveries


def portal_sync(session: Session, now: dt.datetime, zone: ZoneInfo) -> Iterator[Metric]:
    """Dossiers by portal sync state, and the age of the oldest change the portal lacks."""
    overview = sync_overview(session, now, zone)
    states = GaugeMetricFamily("tthc_portal_sync_dossiers", "Dossiers by portal sync state",
                               labels=["state"])
    for state, count in overview.counts.items():
        states.add_metric([state.value], count)
    yield states
    yield GaugeMetricFamily("tthc_portal_sync_lag_seconds",
                            "Seconds since the oldest change the portal has not acknowledged",
                            value=overview.lag.total_seconds() if overview.lag else 0.0)


class RequestMetrics:
    """Counts and times every request by endpoint (not path, to keep label values few)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("tthc_http_requests", "HTTP requests answered",
                                ["method", "endpoint", "status"], registry=registry)
        self.latency = Histogram("tthc_http_request_duration_seconds",
                                 "Time to answer HTTP requests", ["endpoint"], registry=registry)

    def start(self) -> None:
        """Note when the request began."""
        g.metrics_started = time.perf_counter()

    def finish(self, response: Response) -> Response:
        """Count the request and observe its duration."""
        started = g.pop("metrics_started", None)
        endpoint = request.endpoint or "unmatched"
        self.requests.labels(request.method, endpoint, str(response.status_code)).inc()
        if started is not None:
            self.latency.labels(endpoint).observe(time.perf_counter() - started)
        return response


def allowed(options: SecuritySettings) -> bool:
    """Whether this request may read the metrics under the [security] settings."""
    if options.metrics == "token":
        current_token("read")
        return True
    # Behind a proxy this is the client it names, and only [security] trusted_proxy is believed
    # (service/web/proxy.py): otherwise every visitor would be the proxy on loopback.
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in options.metrics_networks)


def init_metrics(app: Flask) -> None:
    """Count requests and serve /metrics unless [security] metrics = "off"."""
    options = config(app).security
    if options.metrics == "off":
        return
    registry = CollectorRegistry()
    tracker = RequestMetrics(registry)
    app.before_request(tracker.start)
    app.after_request(tracker.finish)

    def scrape() -> Response:
        """Serve the metrics in Prometheus text format."""
        if not allowed(options):
            abort(404)
        if os.environ.get(MULTIPROC_ENV):
            shown = CollectorRegistry()
            MultiProcessCollector(shown)
        else:
            shown = registry
        # Built per scrape: tests swap the app's runtime after create_app.
        runtime = app.extensions["tthc"]
        database = CollectorRegistry()
        database.register(DatabaseCollector(runtime.engine, runtime.now,
                                            runtime.config.timezone))
        body = generate_latest(shown) + generate_latest(database)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule(METRICS_PATH, "metrics", scrape)
