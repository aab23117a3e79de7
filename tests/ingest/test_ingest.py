"""The ingest path: idempotent, out-of-order safe, history merged, runs recorded."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select

from connectors.simulator import SimulatorConnector
from service.ingest import Ingestor
from service.ingest.runs import run_connector
from service.models import ConnectorRun, Dossier, Procedure, StatusEvent
from service.runtime import Runtime
from service.vocabulary import Status

NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)


def simulator(**options: object) -> SimulatorConnector:
    return SimulatorConnector("sim", {"backfill_days": 10, **options})


def records(now: dt.datetime = NOW) -> list:
    return [r for batch in simulator().fetch(None, now) for r in batch.records]


def counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.sessions() as s:
        return (s.scalar(select(func.count()).select_from(Dossier)),
                s.scalar(select(func.count()).select_from(StatusEvent)))


def test_same_records_twice_write_nothing(runtime: Runtime) -> None:
    batch = records()
    with runtime.sessions.begin() as session:
        first = Ingestor(session, "sim", runtime.derive).store(batch, NOW)
    with runtime.sessions.begin() as session:
        second = Ingestor(session, "sim", runtime.derive).store(batch, NOW)
        assert not session.dirty
    assert first.created == len(batch) > 0
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(batch))


def test_older_record_never_overwrites_newer_state(runtime: Runtime) -> None:
    story = next(s for s in simulator().stories(dt.date(2026, 3, 16)) if len(s.events) >= 4)
    late, early = story.as_of(story.events[-1].at), story.as_of(story.events[1].at)
    with runtime.sessions.begin() as session:
        Ingestor(session, "sim", runtime.derive).store([late], NOW)
    with runtime.sessions.begin() as session:
        stats = Ingestor(session, "sim", runtime.derive).store([early], NOW)
    with runtime.sessions() as session:
        row = session.scalar(select(Dossier).where(Dossier.code == late.code))
        assert row.status is late.status
    assert stats.unchanged == 1


def test_history_lines_merge_without_duplicates(runtime: Runtime) -> None:
    story = next(s for s in simulator().stories(dt.date(2026, 3, 16)) if len(s.events) >= 4)
    with runtime.sessions.begin() as session:
        Ingestor(session, "sim", runtime.derive).store([story.as_of(story.events[1].at)], NOW)
    with runtime.sessions.begin() as session:
        Ingestor(session, "sim", runtime.derive).store([story.as_of(story.events[-1].at)], NOW)
    with runtime.sessions() as session:
        lines = session.scalars(select(StatusEvent.status).order_by(StatusEvent.at)).all()
    assert lines == [e.status for e in story.events]


def test_unknown_procedure_without_limit_is_rejected_and_the_rest_lands(runtime: Runtime) -> None:
    good, other = records()[:2]
    bad = dataclasses.replace(other, procedure_code="9.999999", limit_value=None)
    rejected = []
    with runtime.sessions.begin() as session:
        stats = Ingestor(session, "sim", runtime.derive).store([good, bad], NOW, rejected.append)
    assert (stats.created, stats.rejected) == (1, 1)
    assert "«Mã thủ tục» 9.999999 chưa có trong danh mục" in rejected[0].reason
    assert "applicant_phone" not in rejected[0].payload


def test_unknown_procedure_with_limit_is_added_to_the_catalogue(runtime: Runtime) -> None:
    record = dataclasses.replace(records()[0], procedure_code="1.012345.000.00.00.H26")
    with runtime.sessions.begin() as session:
        Ingestor(session, "sim", runtime.derive).store([record], NOW)
    with runtime.sessions() as session:
        assert session.scalar(select(Procedure).where(Procedure.code == "1.012345")) is not None


def test_a_run_is_recorded_and_the_next_resumes_from_its_cursor(runtime: Runtime) -> None:
    first = run_connector(runtime.sessions, simulator(), runtime.derive, NOW)
    again = run_connector(runtime.sessions, simulator(), runtime.derive, NOW)
    # NOW is Friday 17:00 in Vietnam: the office works again on Monday.
    later = run_connector(runtime.sessions, simulator(), runtime.derive,
                          NOW + dt.timedelta(days=3))
    assert first.created > 0 and first.error is None
    assert (again.fetched, again.created, again.updated) == (0, 0, 0)
    assert later.updated + later.created > 0
    with runtime.sessions() as session:
        runs = session.scalars(select(ConnectorRun).order_by(ConnectorRun.id)).all()
    assert runs[1].cursor_before == runs[0].cursor_after == {"until": NOW.isoformat()}


def test_a_failing_batch_keeps_what_was_committed(runtime: Runtime) -> None:
    class Failing(SimulatorConnector):
        def fetch(self, cursor, now):  # type: ignore[no-untyped-def]
            for number, batch in enumerate(super().fetch(cursor, now)):
                if number == 50:  # past the quiet days before the back-fill window
                    raise RuntimeError("remote went away")
                yield batch

    try:
        run_connector(runtime.sessions, Failing("sim", {"backfill_days": 10}), runtime.derive,
                      NOW)
    except RuntimeError:
        pass
    stored, _ = counts(runtime)
    with runtime.sessions() as session:
        run = session.scalar(select(ConnectorRun))
    assert run.error == "RuntimeError: remote went away"
    assert stored == run.created > 0
    resumed = run_connector(runtime.sessions, simulator(), runtime.derive, NOW)
    assert counts(runtime)[0] == stored + resumed.created == len(records())


def test_status_follows_the_source(runtime: Runtime) -> None:
    run_connector(runtime.sessions, simulator(), runtime.derive, NOW)
    with runtime.sessions() as session:
        statuses = set(session.scalars(select(Dossier.status).distinct()))
        open_flags = dict(session.execute(
            select(Dossier.status, Dossier.is_open).distinct()).all())
    assert Status.RETURNED in statuses and Status.PROCESSING in statuses
    assert open_flags[Status.RETURNED] is False and open_flags[Status.PROCESSING] is True
