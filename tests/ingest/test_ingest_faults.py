"""Robust ingestion: the connector contract, bad records, quarantine, run records, resumes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from connectors.base import Batch, Connector, ConnectorError, DossierRecord, RejectedRecord
from connectors.registry import BUILTIN, connector_types
from connectors.simulator import SimulatorConnector
from service.ingest import Ingestor, runs
from service.ingest.quarantine import (
    QuarantineError,
    count_quarantined,
    discard,
    list_quarantined,
    record_from_payload,
    record_payload,
    retry,
)
from service.ingest.runs import describe_run, last_cursor, push_batch, run_connector, start_run
from service.models import (
    Base,
    ConnectorCursor,
    ConnectorRun,
    Dossier,
    QuarantinedRecord,
    StatusEvent,
)
from service.runtime import Runtime
from service.vocabulary import LimitUnit, Status
from tests.conftest import make_settings
from tests.fixtures.opencps.server import OpenCPSServer, OpenCPSState, make_item

NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)
SPREADSHEET = Path(__file__).parents[1] / "fixtures" / "spreadsheet" / "export_mixed.csv"


def simulated(count: int = 6) -> list[DossierRecord]:
    connector = SimulatorConnector("sim", {"backfill_days": 5})
    return [r for b in connector.fetch(None, NOW) for r in b.records][:count]


# -- the contract every registered connector honours -------------------------------------

@pytest.fixture
def contract_connectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                        ) -> Iterator[dict[str, Callable[[], Connector]]]:
    """A working instance of every built-in type, against local stand-ins for its system."""
    monkeypatch.setenv("TTHC_TEST_OPENCPS_PASSWORD", "secret")
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(SPREADSHEET, drop / "export.csv")
    settled = (NOW - dt.timedelta(hours=1)).timestamp()
    os.utime(drop / "export.csv", (settled, settled))
    state = OpenCPSState(items=[make_item(n, s) for n, s in
                                enumerate(["processing", "done", "correcting"], start=1)])
    with OpenCPSServer(state) as server:
        types = connector_types()
        yield {
            "simulator": lambda: types["simulator"]("sim", {"backfill_days": 2}),
            "opencps": lambda: types["opencps"]("cps", {
                "base_url": server.url, "group_id": "35417", "username": state.username,
                "password_env": "TTHC_TEST_OPENCPS_PASSWORD", "page_size": 2}),
            "spreadsheet": lambda: types["spreadsheet"]("xls", {
                "unit_code": "000.32.26.H26", "folder": str(drop), "settle_seconds": 0}),
            "webhook": lambda: types["webhook"]("push", {"unit_code": "000.32.26.H26"}),
        }


def test_every_builtin_connector_is_covered_by_the_contract(
        contract_connectors: dict[str, Any]) -> None:
    assert set(contract_connectors) == set(BUILTIN)


@pytest.mark.parametrize("kind", sorted(BUILTIN))
def test_every_connector_honours_the_contract(kind: str, contract_connectors: dict[str, Any]
                                              ) -> None:
    connector = contract_connectors[kind]()
    assert connector.type_name == kind and isinstance(connector, Connector)
    batches = list(connector.fetch(None, NOW))
    assert all(isinstance(b, Batch) for b in batches)
    for batch in batches:
        json.dumps(batch.cursor)  # cursors are stored as JSON
        for record in batch.records:
            assert isinstance(record, DossierRecord | RejectedRecord)
            if isinstance(record, RejectedRecord):
                json.dumps(record.payload, default=str)
                assert record.reason
                continue
            assert record.received_at.tzinfo is not None and isinstance(record.status, Status)
            assert all(e.at.tzinfo is not None for e in record.events)
    if kind != "webhook":
        assert any(b.records for b in batches)
    connector.close()


# -- bad records are set aside, the rest of the batch lands --------------------------------

@pytest.mark.parametrize("change,reason", [
    ({"code": "x" * 65}, "«Mã hồ sơ» (code) phải là văn bản dài tối đa 64 ký tự"),
    ({"received_at": dt.datetime(2026, 3, 2, 8)},
     "«Ngày tiếp nhận» (received_at) phải là ngày giờ kèm múi giờ"),
    ({"status": 4}, "không phải mã trạng thái của Cổng Dịch vụ công quốc gia (1–10)"),
    ({"applicant_name": " "}, "«Chủ hồ sơ» để trống, cần tên người nộp hồ sơ"),
    ({"finished_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC), "status": Status.RESOLVED},
     "ngày kết thúc xử lý («Ngày có kết quả» hoặc «Ngày trả kết quả») trước «Ngày tiếp nhận»"),
])
def test_a_bad_record_is_rejected_with_a_reason_and_the_rest_lands(
        runtime: Runtime, change: dict[str, Any], reason: str) -> None:
    good = simulated()
    bad = dataclasses.replace(good[0], **change)
    with runtime.sessions.begin() as session:
        ingestor = Ingestor(session, "sim", runtime.derive)
        stats = ingestor.store([bad, *good[1:]], NOW)
    assert (stats.created, stats.rejected) == (len(good) - 1, 1)
    assert reason in ingestor.rejects[0][1]


def test_a_write_the_database_refuses_is_replayed_record_by_record(runtime: Runtime) -> None:
    first, second, *rest = simulated()
    clash = dataclasses.replace(second, source_id=first.source_id)  # (source, source_id) unique
    with runtime.sessions.begin() as session:
        ingestor = Ingestor(session, "sim", runtime.derive)
        stats = ingestor.store([first, clash, *rest], NOW)
    assert (stats.created, stats.rejected) == (len(rest) + 1, 1)
    assert "cơ sở dữ liệu từ chối lưu hồ sơ" in ingestor.rejects[0][1]
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == len(rest) + 1
        assert session.scalar(select(func.count()).select_from(StatusEvent)) == sum(
            len(r.events) for r in [first, *rest])


def test_a_stale_record_adds_unseen_history_without_overwriting(runtime: Runtime) -> None:
    record = next(r for r in simulated(50) if len(r.events) >= 4)
    newer = dataclasses.replace(record, events=record.events[2:])
    older = dataclasses.replace(record, status=record.events[1].status,
                                source_modified_at=record.events[1].at,
                                events=record.events[:2])
    for item in (newer, older):
        with runtime.sessions.begin() as session:
            Ingestor(session, "sim", runtime.derive).store([item], NOW)
    with runtime.sessions() as session:
        row = session.scalar(select(Dossier))
        lines = session.scalars(select(StatusEvent.status).order_by(StatusEvent.at)).all()
    assert row.status is record.status
    assert lines == [e.status for e in record.events]



def test_a_malformed_stale_record_is_rejected_and_the_stored_state_stays(
        runtime: Runtime) -> None:
    record = next(r for r in simulated(50) if len(r.events) >= 2)
    bad_line = dataclasses.replace(record.events[0], status=4)
    older = dataclasses.replace(record, source_modified_at=record.events[0].at,
                                events=(bad_line,))
    with runtime.sessions.begin() as session:
        Ingestor(session, "sim", runtime.derive).store([record], NOW)
    with runtime.sessions.begin() as session:
        ingestor = Ingestor(session, "sim", runtime.derive)
        stats = ingestor.store([older], NOW)
    assert (stats.unchanged, stats.rejected) == (0, 1)
    assert "có trạng thái hoặc thời điểm không hợp lệ" in ingestor.rejects[0][1]
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StatusEvent)) == len(record.events)

# -- quarantine ---------------------------------------------------------------------------

class Scripted(Connector):
    """Yields prepared batches, then optionally fails."""

    type_name = "scripted"
    options_schema = SimulatorConnector.options_schema

    def __init__(self, batches: list[Batch], fail: Exception | None = None) -> None:
        super().__init__("scripted", {})
        self.batches, self.fail = batches, fail

    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        yield from self.batches
        if self.fail:
            raise self.fail


def test_refused_items_are_kept_once_and_resolved_when_stored_later(runtime: Runtime) -> None:
    good, other = simulated(2)
    unknown = dataclasses.replace(other, procedure_code="9.999999", limit_value=None)
    junk = RejectedRecord({"dossierId": 7, "status": "??"}, "status ?? is not mapped", "7")
    for _ in range(2):
        run = run_connector(runtime.sessions, Scripted([Batch([good, unknown, junk])]),
                            runtime.derive, NOW)
    assert (run.rejected, run.fetched) == (2, 3)
    with runtime.sessions() as session:
        held = list_quarantined(session)
        assert len(held) == 2 and {q.times_seen for q in held} == {2}
        assert {q.kind for q in held} == {"record", "source"}
    fixed = dataclasses.replace(unknown, limit_value=5, limit_unit=LimitUnit.WORKING_DAYS)
    run_connector(runtime.sessions, Scripted([Batch([fixed])]), runtime.derive, NOW)
    with runtime.sessions() as session:
        assert count_quarantined(session) == 1
        assert count_quarantined(session, state="resolved") == 1


def test_a_quarantined_record_is_retried_after_the_catalogue_is_fixed(
        runtime: Runtime) -> None:
    record = dataclasses.replace(simulated(1)[0], procedure_code="9.999999", limit_value=None)
    run_connector(runtime.sessions, Scripted([Batch([record])]), runtime.derive, NOW)
    with runtime.sessions.begin() as session:
        item = list_quarantined(session)[0]
        assert record_from_payload(item.payload) == record
        first = retry(session, [item.id], runtime.derive, NOW, lambda name: None)
        assert not first[0].resolved and "chưa có trong danh mục thủ tục" in first[0].reason
        item.payload = record_payload(dataclasses.replace(record, limit_value=3))
        second = retry(session, [item.id], runtime.derive, NOW, lambda name: None)
    assert second[0].resolved and item.attempts == 2
    with runtime.sessions() as session:
        assert session.scalar(select(Dossier.code)) == record.code


def test_a_discarded_item_stays_discarded_when_the_same_payload_comes_back(
        runtime: Runtime) -> None:
    junk = RejectedRecord({"dossierId": 7}, "bad", "7")
    run_connector(runtime.sessions, Scripted([Batch([junk])]), runtime.derive, NOW)
    with runtime.sessions.begin() as session:
        discard(session, list_quarantined(session)[0].id, "clerk", NOW, "mục rác của nguồn")
    run_connector(runtime.sessions, Scripted([Batch([junk])]), runtime.derive, NOW)
    with runtime.sessions.begin() as session:
        assert count_quarantined(session) == 0
        with pytest.raises(QuarantineError, match=r"không còn chờ xử lý \(đã bỏ qua\)"):
            discard(session, list_quarantined(session, state=None)[0].id, "clerk", NOW,
                    "mục rác của nguồn")


# -- runs, cursors, failures ---------------------------------------------------------------

def test_a_failed_fetch_keeps_committed_batches_and_the_cursor(runtime: Runtime) -> None:
    first, second, third = simulated(3)
    connector = Scripted([Batch([first], {"page": 1}), Batch([second], {"page": 2})],
                         fail=ConnectorError("opencps x: GET start=2: HTTP 503"))
    with pytest.raises(ConnectorError):
        run_connector(runtime.sessions, connector, runtime.derive, NOW)
    with runtime.sessions() as session:
        run = session.scalar(select(ConnectorRun))
        assert (run.batches, run.created, run.cursor_after) == (2, 2, {"page": 2})
        assert run.error == "ConnectorError: opencps x: GET start=2: HTTP 503"
        assert last_cursor(session, "scripted") == {"page": 2}
    assert "error: ConnectorError" in describe_run(run)


def test_a_run_left_open_by_a_killed_process_is_closed_as_interrupted(
        runtime: Runtime) -> None:
    killed, _ = start_run(runtime.sessions, "scripted", NOW)
    run_connector(runtime.sessions, Scripted([Batch(simulated(1), {"page": 1})]),
                  runtime.derive, NOW)
    with runtime.sessions() as session:
        old = session.get(ConnectorRun, killed)
        assert old.finished_at is not None and old.error.startswith("interrupted")
        assert session.get(ConnectorCursor, "scripted").cursor == {"page": 1}


def test_the_cursor_falls_back_to_the_last_run_for_older_databases(runtime: Runtime) -> None:
    run_connector(runtime.sessions, Scripted([Batch([], {"page": 9})]), runtime.derive, NOW)
    with runtime.sessions.begin() as session:
        session.delete(session.get(ConnectorCursor, "scripted"))
    with runtime.sessions() as session:
        assert last_cursor(session, "scripted") == {"page": 9}


def test_ingestion_is_idempotent_and_out_of_order_safe_on_each_database(
        database_url: str) -> None:
    runtime = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(runtime.engine)
    try:
        records = simulated(30)
        older = [dataclasses.replace(r, status=r.events[0].status,
                                     source_modified_at=r.events[0].at, events=r.events[:1])
                 for r in records]
        clash = dataclasses.replace(records[1], source_id=records[0].source_id, code="X-1")
        for batch in (records, records, older, [clash, *records]):
            run_connector(runtime.sessions, Scripted([Batch(batch)]), runtime.derive, NOW)
        with runtime.sessions() as session:
            statuses = dict(session.execute(select(Dossier.code, Dossier.status)).all())
            events = session.scalar(select(func.count()).select_from(StatusEvent))
            runs = session.scalars(select(ConnectorRun).order_by(ConnectorRun.id)).all()
        assert statuses == {r.code: r.status for r in records}
        assert events == sum(len(r.events) for r in records)
        assert [(r.created, r.updated, r.unchanged, r.rejected) for r in runs] == [
            (30, 0, 0, 0), (0, 0, 30, 0), (0, 0, 30, 0), (0, 0, 30, 1)]
        with runtime.sessions.begin() as session:
            session.execute(update(QuarantinedRecord).values(state="discarded"))
    finally:
        runtime.engine.dispose()



def test_a_long_run_refreshes_the_postgresql_planner_statistics(
        pg_schema_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = Runtime.from_settings(make_settings(pg_schema_url))
    Base.metadata.create_all(runtime.engine)
    estimate = text("SELECT reltuples FROM pg_class WHERE oid = 'dossier'::regclass")
    records = simulated(30)
    try:
        run_connector(runtime.sessions, Scripted([Batch(records[:10])]), runtime.derive, NOW)
        with runtime.engine.connect() as conn:
            assert conn.scalar(estimate) == -1  # below ANALYZE_EVERY: never analysed yet
        monkeypatch.setattr(runs, "ANALYZE_EVERY", 15)
        batches = [Batch(records[10:20]), Batch(records[20:])]
        run_connector(runtime.sessions, Scripted(batches), runtime.derive, NOW)
        with runtime.engine.connect() as conn:
            assert conn.scalar(estimate) == 30
    finally:
        runtime.engine.dispose()


def test_history_lines_go_to_the_driver_and_a_clash_is_an_integrity_error(
        database_url: str) -> None:
    from sqlalchemy.exc import IntegrityError

    from service.ingest.history import insert_events

    runtime = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(runtime.engine)
    try:
        record = simulated(1)[0]
        with runtime.sessions.begin() as session:
            Ingestor(session, "sim", runtime.derive).store([record], NOW)
        with runtime.sessions.begin() as session:
            dossier_id = session.scalar(select(Dossier.id))
            late = record.events[-1].at + dt.timedelta(days=1)
            insert_events(session, [(dossier_id, late, Status.RESOLVED, "Chị Hà", None, "ghi chú")])
            clash = (dossier_id, record.events[0].at, record.events[0].status, None, None, None)
            with pytest.raises(IntegrityError), session.begin_nested():
                insert_events(session, [clash])
        with runtime.sessions() as session:
            lines = session.execute(select(StatusEvent.at, StatusEvent.status, StatusEvent.actor)
                                    .order_by(StatusEvent.at)).all()
        assert len(lines) == len(record.events) + 1
        assert tuple(lines[-1]) == (late, Status.RESOLVED, "Chị Hà")
    finally:
        runtime.engine.dispose()

def test_a_push_that_cannot_be_stored_leaves_only_a_failed_run(runtime: Runtime) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("deadline engine unavailable")

    with pytest.raises(RuntimeError):
        push_batch(runtime.sessions, "push", simulated(3), broken, NOW)
    ok, results = push_batch(runtime.sessions, "push", simulated(3), runtime.derive, NOW)
    with runtime.sessions() as session:
        runs = session.scalars(select(ConnectorRun).order_by(ConnectorRun.id)).all()
        stored = session.scalar(select(func.count()).select_from(Dossier))
    assert [r.error for r in runs] == ["RuntimeError: deadline engine unavailable", None]
    assert all(r.finished_at is not None for r in runs)
    assert stored == ok.created == 3 and [r.outcome for r in results] == ["created"] * 3


def test_a_large_batch_is_committed_in_bounded_parts_with_the_cursor_last(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs, "CHUNK", 2)
    records = simulated(5)
    stored_parts: list[int] = []
    store = runs.store_batch

    def third_part_fails(session: Any, *args: Any, **kwargs: Any) -> Any:
        if len(stored_parts) == 2:
            raise RuntimeError("disk full")
        stored_parts.append(len(args[2]))
        return store(session, *args, **kwargs)

    monkeypatch.setattr(runs, "store_batch", third_part_fails)
    with pytest.raises(RuntimeError):
        run_connector(runtime.sessions, Scripted([Batch(records, {"page": 1})]),
                      runtime.derive, NOW)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 4
        assert last_cursor(session, "scripted") is None
    monkeypatch.setattr(runs, "store_batch", store)
    run = run_connector(runtime.sessions, Scripted([Batch(records, {"page": 1})]),
                        runtime.derive, NOW)
    assert stored_parts == [2, 2]
    assert (run.batches, run.created, run.unchanged, run.cursor_after) == (1, 1, 4, {"page": 1})
