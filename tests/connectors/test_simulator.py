"""The simulator: repeatable, realistic, and incremental as time passes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.simulator import SimulatorConnector
from service.deadlines import due_at
from service.runtime import Runtime
from service.vocabulary import Channel, Status
from tests.conftest import make_settings

NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)


def fetch_all(connector: SimulatorConnector, cursor: dict | None, now: dt.datetime) -> list:
    return [r for batch in connector.fetch(cursor, now) for r in batch.records]


def test_same_seed_tells_the_same_story() -> None:
    one = fetch_all(SimulatorConnector("a", {"seed": 7, "backfill_days": 5}), None, NOW)
    two = fetch_all(SimulatorConnector("b", {"seed": 7, "backfill_days": 5}), None, NOW)
    assert one == two


def test_between_20_and_60_dossiers_a_working_day_and_none_on_days_off() -> None:
    connector = SimulatorConnector("a", {})
    for offset in range(14):
        day = dt.date(2026, 4, 24) + dt.timedelta(days=offset)  # Giỗ Tổ, 30/4 and 1/5
        count = len(list(connector.stories(day)))
        off = day.weekday() >= 5 or day in (dt.date(2026, 4, 27), dt.date(2026, 4, 30),
                                            dt.date(2026, 5, 1))
        assert (count == 0) if off else (20 <= count <= 60), day


def test_backfill_has_channels_supplements_and_late_results() -> None:
    records = fetch_all(SimulatorConnector("a", {"backfill_days": 90}), None, NOW)
    assert {r.channel for r in records} == set(Channel)
    assert any(r.supplements for r in records)
    assert any(r.finished_at and r.source_due_at and r.finished_at > r.source_due_at
               for r in records)
    assert {Status.ACCEPTED, Status.PROCESSING}.isdisjoint({r.status for r in records}) is False


def test_later_fetch_reports_only_what_moved() -> None:
    connector = SimulatorConnector("a", {"backfill_days": 5})
    cursor = None
    for batch in connector.fetch(cursor, NOW):
        cursor = batch.cursor
    later = NOW + dt.timedelta(days=3)  # Friday 17:00 in Vietnam, then Monday 17:00
    moved = fetch_all(connector, cursor, later)
    assert moved
    assert all(any(NOW < e.at <= later for e in r.events) for r in moved)


def _configured() -> tuple[SimulatorConnector, Any]:
    """The demo's simulator with the calendar of the default configuration (2026 decisions)."""
    runtime = Runtime.from_settings(make_settings("sqlite://"))
    return SimulatorConnector("a", {"backfill_days": 100}, runtime.calendar), runtime.calendar


def test_receipts_finishes_and_returns_fall_in_office_hours_of_working_days() -> None:
    connector, calendar = _configured()
    records = fetch_all(connector, None, NOW)  # 100 days back: across Tết 2026
    instants = [(r.code, name, getattr(r, name)) for r in records
                for name in ("received_at", "finished_at", "returned_at")]
    assert len(instants) > 3000
    outside = [item for item in instants if item[2] and not calendar.is_office_time(item[2])]
    assert outside == []
    received_days = {calendar.local(r.received_at).date() for r in records}
    assert dt.date(2026, 2, 17) not in received_days  # Tết
    assert dt.date(2026, 1, 10) in received_days  # the Saturday worked for 02/01


def test_appointments_follow_the_decree_except_a_lax_few_and_restart_after_a_supplement(
) -> None:
    connector, calendar = _configured()
    records = fetch_all(connector, None, NOW)
    lax = restarted = 0
    for record in records:
        done = [s.completed_at for s in record.supplements if s.completed_at]
        start = done[-1] if done else record.received_at
        legal = due_at(calendar, start, record.limit_value, record.limit_unit)
        assert record.source_due_at >= legal, record.code
        lax += record.source_due_at > legal
        restarted += bool(done)
    assert restarted > 50
    assert 0.02 < lax / len(records) < 0.08  # lax_share = 0.05


def test_a_small_share_finishes_after_the_statutory_due_date() -> None:
    connector, calendar = _configured()
    finished = [r for r in fetch_all(connector, None, NOW) if r.finished_at]
    late = 0
    for record in finished:
        done = [s.completed_at for s in record.supplements if s.completed_at]
        start = done[-1] if done else record.received_at
        late += record.finished_at > due_at(calendar, start, record.limit_value,
                                            record.limit_unit)
    assert 0.05 < late / len(finished) < 0.11  # late_share = 0.08
