"""Fixtures of the OpenCPS tests: the real-shape server, connectors against it, and reading back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from connectors.opencps import OpenCPSConnector
from service.dossiers.scan import scan
from service.ingest.runs import run_connector
from service.models import ConnectorRun, Dossier, StatusEvent, SupplementRound
from service.runtime import Runtime
from service.vocabulary import DeadlineClass, Status
from tests.fixtures.opencps.server import OpenCPSServer, OpenCPSState

# Thursday 06/03/2025 10:00 in Vietnam; the recorded items date from 28/02 to 05/03/2025.
NOW = dt.datetime(2025, 3, 6, 3, 0, tzinfo=dt.UTC)
PASSWORD_ENV = "TTHC_TEST_OPENCPS_PASSWORD"


@dataclass
class OpenCPS:
    """Connectors against the test server, runs of them, and what the database holds after."""

    runtime: Runtime
    server: OpenCPSServer

    @property
    def state(self) -> OpenCPSState:
        """The server's dossiers, faults and the requests it received."""
        return self.server.state

    def connector(self, **options: Any) -> OpenCPSConnector:
        """A connector with quick retries and small pages, options overridden."""
        return OpenCPSConnector("opencps", {
            "base_url": self.server.url, "group_id": "35417", "username": self.state.username,
            "password_env": PASSWORD_ENV, "page_size": 5, "timeout_s": 0.2, "retries": 2,
            "backoff_s": 0.001, "backoff_max_s": 0.01, "retry_after_max_s": 0.01, **options})

    def run(self, now: dt.datetime = NOW, **options: Any) -> ConnectorRun:
        """One ingest cycle of a fresh connector, as the scheduler runs it."""
        return run_connector(self.runtime.sessions, self.connector(**options),
                             self.runtime.derive, now)

    def dossiers(self) -> dict[str, Dossier]:
        """Every stored dossier by code (procedure loaded)."""
        with self.runtime.sessions() as session:
            rows = session.scalars(select(Dossier)).all()
            for row in rows:
                _ = row.procedure
            return {row.code: row for row in rows}

    def classes(self, now: dt.datetime) -> dict[str, DeadlineClass | None]:
        """Run the deadline scan at `now` and return each dossier's class."""
        with self.runtime.sessions.begin() as session:
            scan(session, now)
        with self.runtime.sessions() as session:
            return dict(session.execute(select(Dossier.code, Dossier.deadline_class)).all())

    def runs(self) -> list[ConnectorRun]:
        """Every run, oldest first."""
        with self.runtime.sessions() as session:
            return list(session.scalars(select(ConnectorRun).order_by(ConnectorRun.id)))

    def history(self, code: str) -> list[tuple[dt.datetime, Status]]:
        """A dossier's history lines, (instant, status), in order."""
        with self.runtime.sessions() as session:
            return [(e.at, e.status) for e in session.scalars(
                select(StatusEvent).join(Dossier).where(Dossier.code == code)
                .order_by(StatusEvent.at))]

    def rounds(self, code: str) -> list[tuple[dt.datetime, dt.datetime | None]]:
        """A dossier's supplement rounds, (requested, completed), in order."""
        with self.runtime.sessions() as session:
            return [(r.requested_at, r.completed_at) for r in session.scalars(
                select(SupplementRound).join(Dossier).where(Dossier.code == code)
                .order_by(SupplementRound.requested_at))]


@pytest.fixture
def state() -> OpenCPSState:
    """An empty server; tests put their dossiers in `items`."""
    return OpenCPSState()


@pytest.fixture
def server(state: OpenCPSState) -> Iterator[OpenCPSServer]:
    with OpenCPSServer(state) as running:
        yield running


@pytest.fixture
def opencps(runtime: Runtime, server: OpenCPSServer, monkeypatch: pytest.MonkeyPatch) -> OpenCPS:
    """The harness, with the server's password in the connector's environment variable."""
    monkeypatch.setenv(PASSWORD_ENV, server.state.password)
    return OpenCPS(runtime, server)
