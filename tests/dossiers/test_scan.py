"""The deadline scan: transitions across Tết and a supplement restart, indexed reads, no repeats."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from connectors.base import SupplementRecord
from connectors.simulator import SimulatorConnector
from jobs import scan as scan_job
from service.cli import cli
from service.dossiers.classes import deadline_class
from service.dossiers.extension import issue_extension
from service.models import Base, DeadlineTransition, Dossier
from service.runtime import Runtime
from service.vocabulary import DeadlineClass, Status
from tests.builders import ingest, record
from tests.conftest import local, make_settings

WITHIN, NEAR = DeadlineClass.WITHIN, DeadlineClass.NEAR
OVERDUE, PAUSED = DeadlineClass.OVERDUE, DeadlineClass.PAUSED


def transitions(runtime: Runtime) -> list[tuple[str, Any, Any, dt.datetime]]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(Dossier.code, DeadlineTransition.before, DeadlineTransition.after,
                   DeadlineTransition.at).join(Dossier)
            .order_by(DeadlineTransition.at, DeadlineTransition.id))
        return [(code, before, after, at) for code, before, after, at in rows]


def twice_a_day(first: dt.date, last: dt.date) -> Iterator[dt.datetime]:
    day = first
    while day <= last:
        yield local(day.year, day.month, day.day, 8)
        yield local(day.year, day.month, day.day, 18)
        day += dt.timedelta(days=1)


def test_class_follows_the_rule_of_the_interface() -> None:
    due, near = local(2026, 3, 5, 17), local(2026, 3, 4, 17)
    assert deadline_class(Status.PROCESSING, True, due, near, local(2026, 3, 4, 9)) is WITHIN
    assert deadline_class(Status.PROCESSING, True, due, near, near) is NEAR
    # Due *by* the due instant: at it the dossier is still near, just after it overdue.
    assert deadline_class(Status.PROCESSING, True, due, near, due) is NEAR
    assert deadline_class(Status.PROCESSING, True, due, near,
                          due + dt.timedelta(microseconds=1)) is OVERDUE
    assert deadline_class(Status.WAITING_SUPPLEMENT, True, due, None, due) is PAUSED
    assert deadline_class(Status.RESOLVED, False, due, near, due) is None


def test_transitions_across_tet_and_a_supplement_restart(runtime: Runtime) -> None:
    # A: received Wed 11/02/2026, 3 working days: Thu 12, Fri 13, then Tết (14-22/02) -> due
    # Mon 23/02 17:00; "near" from the close of the last working day before, Fri 13/02.
    a = record("A", local(2026, 2, 11, 9))
    # B: received Mon 09/02 (due Thu 12/02), sent back for papers Wed 11/02 before "near";
    # completed Tue 24/02: the limit restarts, due Fri 27/02 17:00, near from Thu 26/02 17:00.
    b = record("B", local(2026, 2, 9, 9))
    asked, done = local(2026, 2, 11, 10), local(2026, 2, 24, 9)
    b_waiting = dataclasses.replace(b, status=Status.WAITING_SUPPLEMENT, source_modified_at=asked,
                                    supplements=(SupplementRecord(asked),))
    b_back = dataclasses.replace(b, status=Status.PROCESSING, source_modified_at=done,
                                 supplements=(SupplementRecord(asked, done),))
    changes = {local(2026, 2, 9, 9): [b], local(2026, 2, 11, 9): [a],
               asked: [b_waiting], done: [b_back]}
    instants = sorted({*changes, *twice_a_day(dt.date(2026, 2, 9), dt.date(2026, 2, 28))})
    for now in instants:
        if now in changes:
            ingest(runtime, now, *changes[now])
        else:
            scan_job.run(runtime, now)
    assert transitions(runtime) == [
        ("B", None, WITHIN, local(2026, 2, 9, 9)),
        ("A", None, WITHIN, local(2026, 2, 11, 9)),
        ("B", WITHIN, PAUSED, asked),
        ("A", WITHIN, NEAR, local(2026, 2, 13, 17)),
        ("A", NEAR, OVERDUE, local(2026, 2, 23, 17)),
        ("B", PAUSED, WITHIN, done),
        ("B", WITHIN, NEAR, local(2026, 2, 26, 17)),
        ("B", NEAR, OVERDUE, local(2026, 2, 27, 17)),
    ]


def test_nothing_moves_during_tet(runtime: Runtime) -> None:
    ingest(runtime, local(2026, 2, 11, 9), record("A", local(2026, 2, 11, 9)))
    scan_job.run(runtime, local(2026, 2, 13, 18))
    for now in twice_a_day(dt.date(2026, 2, 14), dt.date(2026, 2, 22)):
        assert scan_job.run(runtime, now).scan.transitions == []


def test_a_timely_extension_moves_a_near_dossier_back(runtime: Runtime) -> None:
    # Due Thursday 05/03 17:00, near from Wednesday 04/03 17:00; the apology is recorded on
    # Wednesday evening, the calendar day before the due date, so it is in time.
    ingest(runtime, local(2026, 3, 2, 9), record("C", local(2026, 3, 2, 9)))
    scan_job.run(runtime, local(2026, 3, 4, 17, 30))
    issued = local(2026, 3, 4, 18)
    with runtime.sessions.begin() as session:
        row = session.scalar(select(Dossier).where(Dossier.code == "C"))
        issue_extension(session, runtime.policy, row, local(2026, 3, 13, 17), "Chờ xác minh",
                        "Chủ tịch UBND xã", issued)
    moves = scan_job.run(runtime, local(2026, 3, 4, 18, 30)).scan.transitions
    assert [(m.before, m.after, m.at) for m in moves] == [(NEAR, WITHIN, issued)]


def test_a_late_extension_leaves_an_overdue_dossier_overdue(runtime: Runtime) -> None:
    ingest(runtime, local(2026, 3, 2, 9), record("C", local(2026, 3, 2, 9)))
    scan_job.run(runtime, local(2026, 3, 6, 8))
    with runtime.sessions.begin() as session:
        row = session.scalar(select(Dossier).where(Dossier.code == "C"))
        issue_extension(session, runtime.policy, row, local(2026, 3, 13, 17), "Chờ xác minh",
                        "Chủ tịch UBND xã", local(2026, 3, 6, 9))
    assert scan_job.run(runtime, local(2026, 3, 6, 10)).scan.transitions == []
    with runtime.sessions() as session:
        row = session.scalar(select(Dossier).where(Dossier.code == "C"))
        assert (row.deadline_class, row.extension_late) == (OVERDUE, True)


def test_finished_dossier_leaves_the_classes(runtime: Runtime) -> None:
    received = local(2026, 3, 2, 9)
    ingest(runtime, received, record("D", received))
    scan_job.run(runtime, local(2026, 3, 2, 10))
    resolved = local(2026, 3, 3, 15)
    ingest(runtime, resolved, record("D", received, Status.RESOLVED, resolved,
                                     finished_at=resolved))
    moves = scan_job.run(runtime, local(2026, 3, 3, 16)).scan.transitions
    assert [(m.before, m.after, m.at) for m in moves] == [(WITHIN, None, resolved)]
    with runtime.sessions() as session:
        assert session.scalar(select(Dossier.deadline_class)) is None


def test_a_second_scan_at_the_same_instant_records_nothing(runtime: Runtime) -> None:
    ingest(runtime, local(2026, 3, 2, 9), record("E", local(2026, 3, 2, 9)))
    now = local(2026, 3, 5, 18)
    assert len(scan_job.run(runtime, now).scan.transitions) == 1
    assert scan_job.run(runtime, now).scan.transitions == []
    assert len(transitions(runtime)) == 1


def brute_force(session: Session, now: dt.datetime) -> dict[int, DeadlineClass | None]:
    rows = session.execute(select(Dossier.id, Dossier.status, Dossier.is_open, Dossier.due_at,
                                  Dossier.near_at))
    return {r.id: deadline_class(r.status, r.is_open, r.due_at, r.near_at, now) for r in rows}


def test_incremental_scans_agree_with_a_full_reclassification(runtime: Runtime) -> None:
    connector = SimulatorConnector("sim", {"backfill_days": 20, "per_day_max": 30})
    start = local(2026, 3, 20, 9)
    for hours in range(0, 24 * 6, 7):
        now = start + dt.timedelta(hours=hours)
        if hours % 3 == 0:
            records = [r for batch in connector.fetch(None, now) for r in batch.records]
            ingest(runtime, now, *records)
        scan_job.run(runtime, now)
        with runtime.sessions() as session:
            stored = dict(session.execute(select(Dossier.id, Dossier.deadline_class)).all())
            assert stored == brute_force(session, now)


@pytest.fixture
def sqlite_statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", remember)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", remember)


def test_incremental_scan_reads_dossiers_only_through_indexes(
        runtime: Runtime, sqlite_statements: list[str]) -> None:
    received = local(2026, 3, 2, 9)
    ingest(runtime, received, *(record(f"F{i}", received + dt.timedelta(hours=i))
                                for i in range(40)))
    scan_job.run(runtime, local(2026, 3, 2, 18))
    sqlite_statements.clear()
    result = scan_job.run(runtime, local(2026, 3, 4, 18)).scan
    assert 0 < result.examined < 40
    touching = [s for s in sqlite_statements
                if ("FROM dossier" in s or s.lstrip().startswith("UPDATE dossier"))]
    assert any(s.lstrip().startswith("UPDATE dossier") for s in touching)
    with runtime.engine.connect() as conn:
        for statement in touching:
            params = tuple(None for _ in range(statement.count("?")))
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", params))
            assert "SCAN dossier" not in plan, (statement, plan)


@pytest.mark.postgres
def test_concurrent_scans_record_each_transition_once(pg_schema_url: str) -> None:
    runtime = Runtime.from_settings(make_settings(pg_schema_url))
    Base.metadata.create_all(runtime.engine)
    received = local(2026, 3, 2, 9)
    ingest(runtime, received, *(record(f"G{i}", received) for i in range(30)))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def scanner(now: dt.datetime) -> None:
        try:
            barrier.wait()
            scan_job.run(runtime, now)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    for now in (local(2026, 3, 2, 10), local(2026, 3, 4, 18), local(2026, 3, 5, 18)):
        threads = [threading.Thread(target=scanner, args=(now,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    with runtime.sessions() as session:
        duplicates = session.execute(text(
            "SELECT dossier_id, after FROM deadline_transition GROUP BY dossier_id, after "
            "HAVING count(*) > 1")).all()
    assert duplicates == []
    assert len(transitions(runtime)) == 30 * 3
    runtime.engine.dispose()


def test_scan_command_prints_what_changed_and_dry_run_records_nothing(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "config.toml"
    config.write_text(f'database_url = "{url}"\n[[alerts.recipients]]\nroles = ["clerk"]\n'
                      'name = "Lê Thị Cúc"\nchannels = ["webhook"]\n', encoding="utf-8")
    runtime = Runtime.from_settings(make_settings(url))
    Base.metadata.create_all(runtime.engine)
    received = runtime.now() - dt.timedelta(days=30)
    ingest(runtime, runtime.now(), record("000.32.26.H26-260101-0001", received))
    runner = CliRunner()
    dry = runner.invoke(cli, ["--config", str(config), "scan", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing recorded" in dry.output
    assert "000.32.26.H26-260101-0001  (mới) → Quá hạn" in dry.output
    assert transitions(runtime) == []
    done = runner.invoke(cli, ["--config", str(config), "scan"])
    assert "1 dossier(s) examined, 1 changed class." in done.output
    # The clerk is told; nobody is configured for the escalation to the vice-chairman.
    assert ("1 alert(s) raised: Quá hạn: 1; 1 event(s) without a configured recipient."
            in done.output)
    again = runner.invoke(cli, ["--config", str(config), "scan"])
    assert "0 changed class." in again.output and "0 alert(s) raised" in again.output
    assert len(transitions(runtime)) == 1
    runtime.engine.dispose()


def test_dry_run_at_a_chosen_instant_shows_what_that_scan_would_change(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "config.toml"
    config.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    runtime = Runtime.from_settings(make_settings(url))
    Base.metadata.create_all(runtime.engine)
    # Received Monday 02/03/2026 09:00; 3 working days: due Thursday 05/03 at 17:00.
    ingest(runtime, local(2026, 3, 2, 9), record("000.32.26.H26-260302-0001",
                                                 local(2026, 3, 2, 9)))
    runner = CliRunner()
    base = ["--config", str(config), "scan", "--dry-run", "--now"]
    before = runner.invoke(cli, [*base, "2026-03-05T17:00"])
    assert before.exit_code == 0, before.output
    assert "Scan at 05/03/2026 17:00" in before.output
    assert "000.32.26.H26-260302-0001  (mới) → Sắp đến hạn" in before.output  # due *by* 17:00
    after = runner.invoke(cli, [*base, "2026-03-05T17:01+07:00"])
    assert "000.32.26.H26-260302-0001  (mới) → Quá hạn" in after.output
    assert transitions(runtime) == []
    with runtime.sessions() as session:
        assert session.scalar(select(Dossier.deadline_class)) is None
    refused = runner.invoke(cli, ["--config", str(config), "scan", "--now", "2026-03-10T08:00"])
    assert refused.exit_code == 2 and "chỉ dùng cùng --dry-run" in refused.output
    bad = runner.invoke(cli, [*base, "mai"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
    runtime.engine.dispose()
