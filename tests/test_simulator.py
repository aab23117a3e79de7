"""The simulator: repeatable, realistic, and incremental as time passes."""

from __future__ import annotations

import datetime as dt

from connectors.simulator import SimulatorConnector
from service.vocabulary import Channel, Status

NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)


def fetch_all(connector: SimulatorConnector, cursor: dict | None, now: dt.datetime) -> list:
    return [r for batch in connector.fetch(cursor, now) for r in batch.records]


def test_same_seed_tells_the_same_story() -> None:
    one = fetch_all(SimulatorConnector("a", {"seed": 7, "backfill_days": 5}), None, NOW)
    two = fetch_all(SimulatorConnector("b", {"seed": 7, "backfill_days": 5}), None, NOW)
    assert one == two


def test_between_20_and_60_dossiers_a_working_day_and_none_at_weekends() -> None:
    connector = SimulatorConnector("a", {})
    for offset in range(14):
        day = dt.date(2026, 3, 2) + dt.timedelta(days=offset)
        count = len(list(connector.stories(day)))
        assert (count == 0) if day.weekday() >= 5 else (20 <= count <= 60)


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
    later = NOW + dt.timedelta(hours=2)
    moved = fetch_all(connector, cursor, later)
    assert moved
    assert all(any(NOW < e.at <= later for e in r.events) for r in moved)
