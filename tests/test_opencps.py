"""The OpenCPS connector against a real local HTTP server: paging, statuses, faults, resume."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.base import ConnectorError
from connectors.opencps import OpenCPSConnector, _retry_after
from service.ingest.runs import run_connector
from service.models import Base, ConnectorRun, Dossier, QuarantinedRecord, StatusEvent
from service.runtime import Runtime
from service.vocabulary import Channel, LimitUnit, Status
from tests.conftest import make_settings
from tests.fixtures.opencps.server import OpenCPSServer, OpenCPSState, make_item, sample_items

NOW = dt.datetime(2025, 3, 6, 3, 0, tzinfo=dt.UTC)
ALL_KINDS = {
    "new": Status.REGISTERED, "receiving": Status.REGISTERED, "processing": Status.PROCESSING,
    "interoperating": Status.PROCESSING, "waiting": Status.WAITING_SUPPLEMENT,
    "paying": Status.WAITING_PAYMENT, "cancelled": Status.WITHDRAWN,
    "unresolved": Status.STOPPED, "denied": Status.NOT_ACCEPTED,
    "releasing": Status.RESOLVED, "posting": Status.RESOLVED, "done": Status.RETURNED,
}


@pytest.fixture
def state() -> OpenCPSState:
    items = [make_item(n, status) for n, status in enumerate(ALL_KINDS, start=1)]
    items += [make_item(n, "processing") for n in range(20, 31)]
    return OpenCPSState(items=items)


@pytest.fixture
def server(state: OpenCPSState) -> Iterator[OpenCPSServer]:
    with OpenCPSServer(state) as running:
        yield running


@pytest.fixture
def opencps(server: OpenCPSServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TTHC_TEST_OPENCPS_PASSWORD", "secret")

    def build(**options: Any) -> OpenCPSConnector:
        return OpenCPSConnector("opencps", {
            "base_url": server.url, "group_id": "35417", "username": "monitor",
            "password_env": "TTHC_TEST_OPENCPS_PASSWORD", "page_size": 5, "timeout_s": 0.2,
            "retries": 2, "backoff_s": 0.001, "backoff_max_s": 0.01,
            "retry_after_max_s": 0.01, **options})

    return build


def dossiers(runtime: Runtime) -> dict[str, Dossier]:
    with runtime.sessions() as session:
        return {d.code: d for d in session.scalars(select(Dossier))}


def runs(runtime: Runtime) -> list[ConnectorRun]:
    with runtime.sessions() as session:
        return list(session.scalars(select(ConnectorRun).order_by(ConnectorRun.id)))


def test_sample_items_map_to_canonical_records(opencps: Any) -> None:
    first, waiting, released = (opencps().parse_item(item) for item in sample_items())
    assert (first.code, first.status, first.channel) == (
        "000.45.21.H10-250303-00017", Status.PROCESSING, Channel.DIRECT)
    assert (first.limit_value, first.limit_unit) == (1, LimitUnit.WORKING_DAYS)
    assert first.received_at == dt.datetime(2025, 3, 3, 1, 15, tzinfo=dt.UTC)
    assert waiting.status is Status.WAITING_SUPPLEMENT and waiting.channel is Channel.ONLINE
    assert waiting.supplements[0].requested_at == dt.datetime(2025, 3, 5, 3, 20, 40,
                                                              tzinfo=dt.UTC)
    assert released.status is Status.RESOLVED
    assert released.finished_at == dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.UTC)


def test_pages_until_total_and_maps_every_status_kind(runtime: Runtime, opencps: Any,
                                                      state: OpenCPSState) -> None:
    run = run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    stored = dossiers(runtime)
    assert run.error is None and run.created == len(state.items) == len(stored)
    for number, (kind, status) in enumerate(ALL_KINDS.items(), start=1):
        assert stored[f"000.45.21.H10-250303-{number:05d}"].status is status, kind
    starts = [int(r["start"]) for r in state.requests if "status" in r]
    assert starts == [0, 5, 10, 15]  # 17 open items, pages of 5


def test_paused_lock_turns_a_running_dossier_into_waiting(runtime: Runtime, opencps: Any,
                                                          state: OpenCPSState) -> None:
    state.items = [make_item(1, "processing", lockState="PAUSE")]
    run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    assert next(iter(dossiers(runtime).values())).status is Status.WAITING_SUPPLEMENT


def test_unchanged_items_cost_no_write_and_a_modified_one_updates(
        runtime: Runtime, opencps: Any, state: OpenCPSState) -> None:
    run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    again = run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    assert (again.fetched, again.created, again.updated) == (0, 0, 0)
    state.items[2].update(dossierStatus="releasing", dossierSubStatus="releasing_0",
                          modifiedDate="06/03/2025 09:00:00",
                          lastActionDate="06/03/2025 09:00:00",
                          releaseDate="06/03/2025 09:00:00")
    later = run_connector(runtime.sessions, opencps(), runtime.derive,
                          NOW + dt.timedelta(hours=2))
    assert (later.fetched, later.updated, later.created) == (1, 1, 0)
    row = dossiers(runtime)[state.items[2]["dossierNo"]]
    assert row.status is Status.RESOLVED and row.is_open is False
    with runtime.sessions() as session:
        lines = session.scalars(select(StatusEvent.status).where(
            StatusEvent.dossier_id == row.id).order_by(StatusEvent.at)).all()
    assert lines == [Status.ACCEPTED, Status.PROCESSING, Status.RESOLVED]


def test_unmapped_status_and_malformed_items_are_quarantined_and_the_rest_lands(
        runtime: Runtime, opencps: Any, state: OpenCPSState) -> None:
    state.items += [make_item(40, "correcting"), make_item(41, "processing",
                                                          receiveDate="hôm qua"),
                    make_item(42, "processing", applicantName=["not", "text"])]
    run = run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    assert (run.created, run.rejected, run.error) == (len(state.items) - 3, 3, None)
    with runtime.sessions() as session:
        held = {q.source_id: q for q in session.scalars(select(QuarantinedRecord))}
    assert "OpenCPS status 'correcting'" in held["50040"].reason
    assert "receiveDate 'hôm qua' is not a date" in held["50041"].reason
    assert "applicantName should be text" in held["50042"].reason
    assert held["50040"].payload["dossierNo"] == "000.45.21.H10-250303-00040"
    assert all(q.run_id == run.id and q.kind == "source" for q in held.values())


def test_configured_mapping_takes_an_unmapped_status(runtime: Runtime, opencps: Any,
                                                     state: OpenCPSState) -> None:
    state.items = [make_item(1, "correcting"), make_item(2, "denied")]
    connector = opencps(status_map={"correcting": 4, "denied": 8},
                        sub_status_map={"denied_1": 3})
    run_connector(runtime.sessions, connector, runtime.derive, NOW)
    assert sorted(d.status.value for d in dossiers(runtime).values()) == [3, 4]


def test_wrong_password_fails_the_run_cleanly_without_retrying(
        runtime: Runtime, opencps: Any, state: OpenCPSState,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTHC_TEST_OPENCPS_PASSWORD", "wrong")
    with pytest.raises(ConnectorError, match="authentication refused"):
        run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    assert len(state.requests) == 1
    assert "authentication refused (HTTP 401)" in runs(runtime)[0].error
    assert runs(runtime)[0].finished_at is not None


def test_missing_password_is_named(runtime: Runtime, opencps: Any,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTHC_TEST_OPENCPS_PASSWORD")
    with pytest.raises(ConnectorError, match="TTHC_TEST_OPENCPS_PASSWORD"):
        run_connector(runtime.sessions, opencps(), runtime.derive, NOW)


@pytest.mark.parametrize("fault", ["timeout", "reset", "500", "503", "429", "truncated",
                                   "not_json", "wrong_types"])
def test_a_passing_fault_is_retried_and_nothing_is_lost(
        runtime: Runtime, opencps: Any, state: OpenCPSState, fault: str) -> None:
    state.faults = deque(["", fault, fault])  # the second page fails twice, then answers
    run = run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    assert run.error is None and run.created == len(state.items) == len(dossiers(runtime))
    assert [r["start"] for r in state.requests[:4]] == ["0", "5", "5", "5"]


@pytest.mark.parametrize("fault", ["timeout", "503", "not_json"])
def test_a_lasting_fault_fails_the_run_and_the_next_run_resumes(
        runtime: Runtime, opencps: Any, state: OpenCPSState, fault: str) -> None:
    state.faults = deque(["", "", *[fault] * 3])  # two pages, then three failed attempts
    with pytest.raises(ConnectorError, match="after 3 attempts"):
        run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    failed = runs(runtime)[0]
    assert failed.created == len(dossiers(runtime)) == 10 and failed.error
    state.requests.clear()
    resumed = run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    assert state.requests[0]["start"] == "10"
    assert resumed.created == len(state.items) - 10 and resumed.error is None
    assert len(dossiers(runtime)) == len(state.items)


def test_a_shrinking_list_restarts_the_query(runtime: Runtime, opencps: Any,
                                             state: OpenCPSState) -> None:
    state.faults = deque(["", "shrink"])
    run = run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    starts = [r["start"] for r in state.requests if "status" in r]
    assert starts[:3] == ["0", "5", "0"]
    # The removed item had been stored from the first page; every remaining one is there too.
    assert run.error is None and len(dossiers(runtime)) == len(state.items) + 1


def test_a_repeating_page_fails_the_run(runtime: Runtime, opencps: Any,
                                        state: OpenCPSState) -> None:
    state.sticky_fault = "repeat"
    with pytest.raises(ConnectorError, match="repeats the previous page"):
        run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
    assert runs(runtime)[0].created == 5


def test_retry_after_is_read_and_capped(opencps: Any) -> None:
    assert _retry_after("7") == 7.0 and _retry_after(None) is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    assert 25 < _retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 30

    class State:
        attempt_number = 1

        class outcome:  # noqa: N801 - mimics tenacity's RetryCallState
            @staticmethod
            def exception() -> Exception:
                from connectors.opencps import _Transient
                return _Transient("HTTP 429", retry_after=120)

    assert opencps(retry_after_max_s=5)._wait(State()) == 5


def test_runs_on_each_database(database_url: str, opencps: Any, state: OpenCPSState) -> None:
    runtime = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(runtime.engine)
    try:
        first = run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
        second = run_connector(runtime.sessions, opencps(), runtime.derive, NOW)
        with runtime.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Dossier)) == first.created
        assert first.created == len(state.items) and second.created == 0
    finally:
        runtime.engine.dispose()
