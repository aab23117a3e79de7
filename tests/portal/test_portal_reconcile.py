"""Reconcile with TraCuuHoSo, the state the mirror keeps, lag and the Decision 766 ratio."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from jobs import reconcile, sync
from service.models import Base, Dossier, PortalOutbox, PortalSync, StatusEvent, SyncState
from service.portal import (
    OutboxGateway,
    PortalOptions,
    find_dossier,
    requeue,
    run_sync,
    sync_overview,
    sync_state_for,
)
from service.runtime import Runtime
from service.vocabulary import Status
from tests.conftest import local, make_settings
from tests.fixtures.dvcqg.checks import assert_portal_holds_the_truth, live_runtime, state
from tests.fixtures.dvcqg.gateway import GatewayEmulator
from tests.fixtures.dvcqg.source import Source

T0 = local(2026, 3, 2, 9)
ZONE = PortalOptions().zone


def record_runtime(database_url: str, **portal: Any) -> Runtime:
    """A runtime in record mode (the demo's default)."""
    runtime = Runtime.from_settings(make_settings(database_url, portal=portal))
    Base.metadata.create_all(runtime.engine)
    return runtime


@pytest.fixture
def recorded(tmp_path: Any) -> Iterator[Runtime]:
    """Record mode on SQLite."""
    runtime = record_runtime(f"sqlite:///{tmp_path / 'record.db'}", reconcile_sample=2)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def recorded_db(database_url: str) -> Iterator[Runtime]:
    """Record mode on SQLite and PostgreSQL, for what leans on SQL (NULLS FIRST, CASE, MIN)."""
    runtime = record_runtime(database_url, reconcile_sample=2)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def gateway() -> Iterator[GatewayEmulator]:
    """The emulated gateway."""
    emulator = GatewayEmulator()
    emulator.start()
    yield emulator
    emulator.close()


def sync_now(runtime: Runtime, now: dt.datetime) -> sync.SyncReport:
    report = sync.run(runtime, now, rng=random.Random(2))
    assert report is not None
    return report


def reconcile_now(runtime: Runtime, now: dt.datetime) -> reconcile.ReconcileReport:
    report = reconcile.run(runtime, now)
    assert report is not None
    return report


def test_record_mode_fills_the_outbox_and_acknowledges(recorded: Runtime) -> None:
    source = Source(recorded)
    code = source.new(1, T0)
    source.step(code, Status.PROCESSING, T0 + dt.timedelta(minutes=5))
    source.deliver(T0 + dt.timedelta(minutes=5))
    report = sync_now(recorded, T0 + dt.timedelta(minutes=5))
    assert report.acked == 1
    with recorded.sessions() as session:
        rows = session.scalars(select(PortalOutbox).order_by(PortalOutbox.id)).all()
    assert [(r.service, r.is_updating, r.status) for r in rows] == [
        ("DongBoHoSoMC", False, 4), ("CapNhatTienDoHoSoMC", None, None)]
    assert [line["TrangThai"] for line in rows[1].body["data"]] == ["2", "4"]
    assert state(recorded, code).state is SyncState.SYNCED
    assert sync_now(recorded, T0 + dt.timedelta(minutes=7)).results == []


def test_reconcile_finds_and_repairs_an_injected_mismatch(recorded_db: Runtime) -> None:
    source = Source(recorded_db)
    codes = [source.new(n, T0) for n in (1, 2)]
    source.deliver(T0)
    sync_now(recorded_db, T0)
    with recorded_db.sessions.begin() as session:  # the portal drifts: it shows "Đang xử lý"
        session.execute(update(PortalOutbox).where(PortalOutbox.dossier_code == codes[0])
                        .values(status=4))
    report = reconcile_now(recorded_db, T0 + dt.timedelta(hours=1))
    assert [(r.code, r.portal, r.ours, r.requeued) for r in report.results if r.mismatch] == [
        (codes[0], 4, 2, True)]
    row = state(recorded_db, codes[0])
    assert row.state is SyncState.PENDING and row.portal_status == 4
    assert sync_now(recorded_db, T0 + dt.timedelta(hours=1)).acked == 1
    assert reconcile_now(recorded_db, T0 + dt.timedelta(hours=2)).mismatched == 0
    assert state(recorded_db, codes[0]).state is SyncState.SYNCED


def test_reconcile_samples_synced_dossiers_checked_longest_ago(recorded_db: Runtime) -> None:
    source = Source(recorded_db)
    codes = [source.new(n, T0) for n in range(1, 6)]
    source.deliver(T0)
    sync_now(recorded_db, T0)
    seen: list[str] = []
    for hour in (1, 2, 3):
        seen += [r.code for r in reconcile_now(recorded_db, T0 + dt.timedelta(hours=hour)).results]
    assert seen[:4] == codes[:4] and set(seen) == set(codes)
    assert all(state(recorded_db, c).reconciled_at is not None for c in codes)


def test_reconcile_sweep_finds_a_change_committed_behind_the_watermark(
        recorded_db: Runtime) -> None:
    source = Source(recorded_db)
    code = source.new(1, T0)
    source.deliver(T0 + dt.timedelta(hours=3))
    sync_now(recorded_db, T0 + dt.timedelta(hours=3))
    # An ingest run that began long ago commits only now, stamping its old start time.
    with recorded_db.sessions.begin() as session:
        dossier = find_dossier(session, code)
        session.add(StatusEvent(dossier_id=dossier.id, at=T0 + dt.timedelta(minutes=30),
                                status=Status.PROCESSING))
        session.execute(update(Dossier).where(Dossier.id == dossier.id).values(
            status=Status.PROCESSING, updated_at=T0 + dt.timedelta(minutes=30)))
    assert sync_now(recorded_db, T0 + dt.timedelta(hours=4)).checked == 0
    assert reconcile_now(recorded_db, T0 + dt.timedelta(hours=4)).checked == 1
    assert state(recorded_db, code).state is SyncState.PENDING
    assert sync_now(recorded_db, T0 + dt.timedelta(hours=4)).acked == 1


def test_live_reconcile_repairs_a_wrong_status_and_a_lost_dossier(
        tmp_path: Any, gateway: GatewayEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVCQG_PASSWORD", "secret")
    runtime = live_runtime(f"sqlite:///{tmp_path / 'live.db'}", gateway)
    source = Source(runtime)
    codes = [source.new(n, T0) for n in (1, 2, 3)]
    for code in codes:
        source.step(code, Status.PROCESSING, T0 + dt.timedelta(minutes=10))
    source.deliver(T0 + dt.timedelta(minutes=10))
    sync_now(runtime, T0 + dt.timedelta(minutes=10))
    gateway.dossiers[codes[0]]["TrangThaiHoSo"] = "2"
    del gateway.dossiers[codes[1]]
    gateway.lines.pop(codes[1])
    report = reconcile_now(runtime, T0 + dt.timedelta(hours=1))
    assert {r.code: r.portal for r in report.results if r.mismatch} == {codes[0]: 2,
                                                                        codes[1]: None}
    assert not state(runtime, codes[1]).on_portal
    sync_now(runtime, T0 + dt.timedelta(hours=1))
    assert [c["isUpdating"] for c in gateway.calls("DongBoHoSoMC", codes[1])] == ["False",
                                                                                 "False"]
    assert_portal_holds_the_truth(runtime, gateway, codes)
    assert reconcile_now(runtime, T0 + dt.timedelta(hours=2)).mismatched == 0
    runtime.engine.dispose()


def test_failed_dossiers_are_all_checked_but_permanent_ones_only_annotated(
        tmp_path: Any, gateway: GatewayEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVCQG_PASSWORD", "secret")
    runtime = live_runtime(f"sqlite:///{tmp_path / 'live.db'}", gateway, reconcile_sample=0)
    source = Source(runtime)
    bad = source.new(1, T0, procedure="1.009999")
    flaky = source.new(2, T0)
    source.deliver(T0)
    gateway.unknown_procedures.add("1.009999.000.00.00.H26")
    gateway.fail("http500", "DongBoHoSoMC", flaky)
    sync_now(runtime, T0)
    report = reconcile_now(runtime, T0 + dt.timedelta(seconds=5))
    assert {r.code: r.requeued for r in report.results} == {bad: False, flaky: True}
    assert state(runtime, bad).state is SyncState.FAILED and state(runtime, bad).permanent
    flaky_row = state(runtime, flaky)
    assert flaky_row.state is SyncState.PENDING and flaky_row.next_attempt_at is None
    assert sync_now(runtime, T0 + dt.timedelta(seconds=6)).acked == 1  # no backoff left
    runtime.engine.dispose()


def test_overview_counts_states_lag_and_the_766_ratio(recorded_db: Runtime) -> None:
    source = Source(recorded_db)
    march = [source.new(n, local(2026, 3, 2 + n, 9)) for n in range(1, 5)]
    april = source.new(9, local(2026, 4, 1, 9))
    source.deliver(local(2026, 4, 1, 10))
    sync_now(recorded_db, local(2026, 4, 1, 10))
    source.step(march[0], Status.PROCESSING, local(2026, 4, 1, 11))
    source.deliver(local(2026, 4, 1, 11))
    sync_now(recorded_db, local(2026, 4, 1, 11, 30))  # the change is acknowledged
    source.step(march[1], Status.PROCESSING, local(2026, 4, 1, 12))
    source.deliver(local(2026, 4, 1, 12))  # not compared yet: still synced until the job runs
    with recorded_db.sessions.begin() as session:  # and the April dossier failed since 11:50
        session.execute(update(Dossier).where(Dossier.code == april).values(
            updated_at=local(2026, 4, 1, 11, 45)))
        session.execute(update(PortalSync).where(PortalSync.dossier_id == session.scalar(
            select(Dossier.id).where(Dossier.code == april))).values(
            state=SyncState.FAILED, changed_at=local(2026, 4, 1, 11, 50)))
    with recorded_db.sessions() as session:
        everything = sync_overview(session, local(2026, 4, 1, 12, 30), ZONE)
        in_march = sync_overview(session, local(2026, 4, 1, 12, 30), ZONE,
                                 unit="000.32.26.H26", start=dt.date(2026, 3, 1),
                                 end=dt.date(2026, 3, 31))
        elsewhere = sync_overview(session, local(2026, 4, 1, 12, 30), ZONE, unit="000.00.00.H99")
    assert everything.counts[SyncState.SYNCED] == 4 and everything.counts[SyncState.FAILED] == 1
    assert everything.received == 5 and everything.on_portal == 5
    assert everything.synced_ratio == 1.0
    assert everything.oldest_change_at == local(2026, 4, 1, 11, 50)
    assert everything.lag == dt.timedelta(minutes=40)
    assert in_march.received == 4 and in_march.counts[SyncState.FAILED] == 0
    assert everything.last_sync is not None and everything.last_sync.acked == 1
    assert elsewhere.received == 0 and elsewhere.synced_ratio is None and elsewhere.lag is None


def test_overview_counts_unseen_dossiers_as_pending_from_their_last_update(
        recorded_db: Runtime) -> None:
    source = Source(recorded_db)
    source.new(1, T0)
    source.deliver(T0 + dt.timedelta(minutes=3))
    with recorded_db.sessions() as session:
        overview = sync_overview(session, T0 + dt.timedelta(minutes=10), ZONE)
    assert overview.counts[SyncState.PENDING] == 1 and overview.on_portal == 0
    assert overview.synced_ratio == 0 and overview.lag == dt.timedelta(minutes=7)


def test_requeue_all_failed_clears_backoff_and_permanence(recorded: Runtime) -> None:
    source = Source(recorded)
    codes = [source.new(n, T0) for n in (1, 2, 3)]
    source.deliver(T0)
    sync_now(recorded, T0)
    with recorded.sessions.begin() as session:
        session.execute(update(PortalSync).where(PortalSync.id.in_([1, 2])).values(
            state=SyncState.FAILED, permanent=True, attempts=4, last_error="x"))
    with recorded.sessions.begin() as session:
        assert requeue(session, None, "admin", T0 + dt.timedelta(hours=1)) == 2
    rows = [state(recorded, c) for c in codes]
    assert [r.state for r in rows] == [SyncState.PENDING, SyncState.PENDING, SyncState.SYNCED]
    assert rows[0].attempts == 0 and not rows[0].permanent and rows[0].requeued_by == "admin"


def test_state_view_shows_a_change_the_sync_has_not_seen_yet(recorded: Runtime) -> None:
    source = Source(recorded)
    code = source.new(1, T0)
    source.deliver(T0)
    options = PortalOptions.from_settings(recorded.config)
    with recorded.sessions() as session:
        before = sync_state_for(session, find_dossier(session, code), options)
    assert before.state is SyncState.PENDING and not before.on_portal
    assert len(before.pending_lines) == 1 and before.payload["TrangThaiHoSo"] == "2"
    sync_now(recorded, T0)
    source.step(code, Status.PROCESSING, T0 + dt.timedelta(minutes=30))
    source.deliver(T0 + dt.timedelta(minutes=30))
    with recorded.sessions() as session:
        after = sync_state_for(session, find_dossier(session, code), options)
    assert after.state is SyncState.PENDING and after.on_portal and not after.up_to_date
    assert after.synced_lines == 1 and [x["TrangThai"] for x in after.pending_lines] == ["4"]
    assert after.changed_at == T0 + dt.timedelta(minutes=30)
    sync_now(recorded, T0 + dt.timedelta(minutes=31))
    with recorded.sessions() as session:
        synced = sync_state_for(session, find_dossier(session, code), options)
    assert synced.state is SyncState.SYNCED and synced.up_to_date and synced.acked_status == 4


def test_not_required_dossiers_are_never_pushed_and_a_rule_change_rechecks_all(
        tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'rules.db'}"
    rule = {"reason": "Trước ngày kết nối Cổng", "received_before": dt.date(2026, 3, 3)}
    runtime = record_runtime(url, not_required=[rule])
    source = Source(runtime)
    old, new = source.new(1, T0), source.new(2, T0 + dt.timedelta(days=2))
    source.deliver(T0 + dt.timedelta(days=2))
    assert [r.code for r in sync_now(runtime, T0 + dt.timedelta(days=2)).results] == [new]
    row = state(runtime, old)
    assert row.state is SyncState.NOT_REQUIRED and row.not_required_reason == rule["reason"]
    with runtime.sessions() as session:
        overview = sync_overview(session, T0 + dt.timedelta(days=2), ZONE)
    assert overview.synced_ratio == 0.5 and overview.lag is None  # still counted as received
    runtime.engine.dispose()
    runtime = record_runtime(url)  # the rule is removed from the configuration
    report = sync_now(runtime, T0 + dt.timedelta(days=2, minutes=5))
    assert report.checked == 2 and [r.code for r in report.results] == [old]
    runtime.engine.dispose()


class BrokenFor(OutboxGateway):
    """The outbox, except that one dossier hits a fault nobody foresaw."""

    def __init__(self, session: Any, now: dt.datetime, code: str) -> None:
        super().__init__(session, now)
        self.code = code

    def sync_dossier(self, madonvi: str, item: dict[str, Any], updating: bool) -> Any:
        if item["MaHoSo"] == self.code:
            raise KeyError("DonViXuLy")
        return super().sync_dossier(madonvi, item, updating)


def test_an_unforeseen_fault_fails_one_dossier_not_the_run(recorded: Runtime) -> None:
    source = Source(recorded)
    codes = [source.new(n, T0) for n in (1, 2, 3)]
    source.deliver(T0)
    options = PortalOptions.from_settings(recorded.config)
    report = run_sync(recorded.sessions, lambda s: BrokenFor(s, T0, codes[1]), T0, options,
                      random.Random(1))
    assert [r.acked for r in report.results] == [True, False, True]
    row = state(recorded, codes[1])
    assert row.state is SyncState.FAILED and row.permanent
    assert "internal error" in (row.last_error or "") and "KeyError" in (row.last_error or "")
