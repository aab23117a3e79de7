"""The portal client and the sync against a real local HTTP server emulating the DVCQG gateway."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from connectors.dvcqg import DvcqgClient, GatewayConfig, PortalLoginError, parse_reply
from jobs import sync
from service.models import PortalSyncRun, SyncState
from service.portal import PortalOptions, requeue, sync_overview
from service.runtime import Runtime
from service.vocabulary import Status
from tests.conftest import local
from tests.fixtures.dvcqg.checks import assert_portal_holds_the_truth, live_runtime, state
from tests.fixtures.dvcqg.gateway import GatewayEmulator
from tests.fixtures.dvcqg.source import Source

T0 = local(2026, 3, 2, 9)
SYNC, PROGRESS = "DongBoHoSoMC", "CapNhatTienDoHoSoMC"


@pytest.fixture
def gateway() -> Iterator[GatewayEmulator]:
    """The emulated gateway, listening on a free local port."""
    emulator = GatewayEmulator()
    emulator.start()
    yield emulator
    emulator.close()


@pytest.fixture
def live(tmp_path: Any, gateway: GatewayEmulator,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """A live-mode runtime on a SQLite file."""
    monkeypatch.setenv("DVCQG_PASSWORD", "secret")
    runtime = live_runtime(f"sqlite:///{tmp_path / 'portal.db'}", gateway)
    yield runtime
    runtime.engine.dispose()


def run(runtime: Runtime, now: dt.datetime) -> sync.SyncReport:
    report = sync.run(runtime, now, rng=random.Random(6))
    assert report is not None
    return report


def test_login_envelope_and_dstcode_header_on_every_call(live: Runtime,
                                                         gateway: GatewayEmulator) -> None:
    source = Source(live)
    code = source.new(1, T0)
    source.deliver(T0)
    report = run(live, T0)
    assert report.acked == 1 and report.failed == 0
    login, *calls = gateway.requests
    assert login["path"] == "/dvcqg/auth"
    assert login["body"] == {"username": "monitor", "password": "secret"}
    assert all(r["headers"].get("dstcode") == "DVCQG_ADAPTER" for r in gateway.requests)
    assert [c["body"]["service"] for c in calls] == [SYNC, PROGRESS]
    for call in calls:
        assert call["body"]["session"] in gateway.sessions
        assert call["body"]["madonvi"] == "000.32.26.H26"
    assert calls[0]["body"]["isUpdating"] == "False"
    row = state(live, code)
    assert row.state is SyncState.SYNCED and row.on_portal and row.acked_status == 2
    assert_portal_holds_the_truth(live, gateway, [code])


def test_update_after_create_sends_only_new_lines_in_chunks_of_ten(
        live: Runtime, gateway: GatewayEmulator) -> None:
    source = Source(live)
    code = source.new(1, T0)
    source.deliver(T0)
    run(live, T0)
    for minute in range(1, 12):
        source.step(code, Status.PROCESSING, T0 + dt.timedelta(minutes=minute),
                    f"Chuyển bước {minute}")
    source.deliver(T0 + dt.timedelta(minutes=15))
    run(live, T0 + dt.timedelta(minutes=15))
    creates = gateway.calls(SYNC, code)
    assert [c["isUpdating"] for c in creates] == ["False", "True"]
    chunks = [len(c["data"]) for c in gateway.calls(PROGRESS, code)]
    assert chunks == [1, 10, 1]
    assert_portal_holds_the_truth(live, gateway, [code])


def test_expired_session_is_renewed_and_the_call_repeated(live: Runtime,
                                                          gateway: GatewayEmulator) -> None:
    source = Source(live)
    code = source.new(1, T0)
    source.deliver(T0)
    run(live, T0)
    gateway.expire_sessions()
    source.step(code, Status.PROCESSING, T0 + dt.timedelta(minutes=5))
    source.deliver(T0 + dt.timedelta(minutes=5))
    gateway.fail("expire", PROGRESS, code)  # and once more between the two calls
    report = run(live, T0 + dt.timedelta(minutes=5))
    assert report.acked == 1 and gateway.logins == 3
    assert_portal_holds_the_truth(live, gateway, [code])


def test_dossier_the_portal_already_holds_switches_to_update(live: Runtime,
                                                             gateway: GatewayEmulator) -> None:
    source = Source(live)
    code = source.new(1, T0)
    source.deliver(T0)
    gateway.dossiers[code] = {"MaHoSo": code, "TrangThaiHoSo": "1"}
    report = run(live, T0)
    assert [c["isUpdating"] for c in gateway.calls(SYNC, code)] == ["False", "True"]
    assert report.results[0].updating and state(live, code).state is SyncState.SYNCED
    assert_portal_holds_the_truth(live, gateway, [code])


def test_dossier_the_portal_lost_is_created_again(live: Runtime,
                                                  gateway: GatewayEmulator) -> None:
    source = Source(live)
    code = source.new(1, T0)
    source.deliver(T0)
    run(live, T0)
    del gateway.dossiers[code]
    source.step(code, Status.PROCESSING, T0 + dt.timedelta(hours=1))
    source.deliver(T0 + dt.timedelta(hours=1))
    run(live, T0 + dt.timedelta(hours=1))
    assert [c["isUpdating"] for c in gateway.calls(SYNC, code)] == ["False", "True", "False"]
    assert gateway.dossiers[code]["TrangThaiHoSo"] == "4"


def test_unknown_procedure_waits_for_new_data_or_a_clerk(live: Runtime,
                                                         gateway: GatewayEmulator) -> None:
    source = Source(live)
    bad = source.new(1, T0, procedure="1.009999")
    good = source.new(2, T0)
    source.deliver(T0)
    gateway.unknown_procedures.add("1.009999.000.00.00.H26")
    report = run(live, T0)
    assert report.acked == 1 and report.failed == 1
    row = state(live, bad)
    assert row.state is SyncState.FAILED and row.permanent and row.next_attempt_at is None
    assert "MaTTHC không tồn tại" in (row.last_error or "")
    assert not gateway.calls(PROGRESS, bad)  # lines only after the dossier is acknowledged
    for later in (dt.timedelta(hours=1), dt.timedelta(days=2)):
        run(live, T0 + later)
    assert len(gateway.calls(SYNC, bad)) == 1
    source.step(bad, Status.PROCESSING, T0 + dt.timedelta(days=2, hours=1))
    source.deliver(T0 + dt.timedelta(days=2, hours=1))
    run(live, T0 + dt.timedelta(days=2, hours=1))
    assert len(gateway.calls(SYNC, bad)) == 2 and state(live, bad).permanent
    gateway.unknown_procedures.clear()
    run(live, T0 + dt.timedelta(days=3))
    assert len(gateway.calls(SYNC, bad)) == 2
    with live.sessions.begin() as session:
        assert requeue(session, bad, "can_bo_mot_cua", T0 + dt.timedelta(days=3)) == 1
    run(live, T0 + dt.timedelta(days=3))
    row = state(live, bad)
    assert row.state is SyncState.SYNCED and row.requeued_by == "can_bo_mot_cua"
    assert_portal_holds_the_truth(live, gateway, [bad, good])


def test_a_reply_echoing_personal_data_is_kept_for_clerks_but_never_logged(
        live: Runtime, gateway: GatewayEmulator, caplog: pytest.LogCaptureFixture) -> None:
    source = Source(live)
    code = source.new(1, T0)
    source.deliver(T0)
    gateway.fail("echo", SYNC, code)
    with caplog.at_level(logging.DEBUG):
        run(live, T0)
    row = state(live, code)
    assert row.permanent and "0987654321" in (row.last_error or "")
    assert "không hợp lệ" in caplog.text and "0987654321" not in caplog.text


def test_server_errors_timeouts_and_text_errors_back_off_without_blocking_others(
        live: Runtime, gateway: GatewayEmulator) -> None:
    source = Source(live)
    codes = [source.new(n, T0) for n in range(1, 5)]
    source.deliver(T0)
    gateway.fail("http500", SYNC, codes[0])
    gateway.fail("timeout", SYNC, codes[1])
    gateway.fail("plain_error", SYNC, codes[2])
    report = run(live, T0)
    assert [r.acked for r in report.results] == [False, False, False, True]
    for code in codes[:3]:
        row = state(live, code)
        assert row.state is SyncState.FAILED and not row.permanent and row.attempts == 1
        assert T0 + dt.timedelta(seconds=30) <= row.next_attempt_at <= T0 + dt.timedelta(
            seconds=60)
    assert "HTTP 500" in (state(live, codes[0]).last_error or "")
    assert "0.5 s" in (state(live, codes[1]).last_error or "")
    assert "Lỗi hệ thống" in (state(live, codes[2]).last_error or "")
    assert run(live, T0 + dt.timedelta(seconds=20)).results == []  # not due yet
    report = run(live, T0 + dt.timedelta(seconds=61))
    assert report.acked == 3
    assert_portal_holds_the_truth(live, gateway, codes)


def test_plain_text_success_replies_are_understood(live: Runtime,
                                                   gateway: GatewayEmulator) -> None:
    source = Source(live)
    code = source.new(1, T0)
    source.deliver(T0)
    gateway.fail("plain_ok", SYNC, code)
    assert run(live, T0).acked == 1
    assert_portal_holds_the_truth(live, gateway, [code])


@pytest.mark.parametrize(("status", "text", "ok"), [
    (200, '{"error_code": 0, "message": ""}', True),
    (200, '{"error_code": "0", "message": "Đồng bộ hồ sơ thành công"}', True),
    (200, '{"error_code": "00"}', True),
    (200, "Cập nhật tiến độ hồ sơ thành công", True),
    (200, '"Cập nhật tiến độ hồ sơ thành công"', True),
    (200, '{"error_code": "-1", "message": "MaTTHC không tồn tại"}', False),
    (200, '{"error_code": "-3", "message": "Hồ sơ X đã tồn tại"}', False),
    (200, "Lỗi hệ thống", False),
    (500, "Cập nhật thành công", False),
])
def test_reply_verdicts(status: int, text: str, ok: bool) -> None:
    assert parse_reply(status, text).ok is ok


def test_exists_is_read_from_codes_3_and_minus_3_or_the_message() -> None:
    assert parse_reply(200, '{"error_code": 3, "message": ""}').exists
    assert parse_reply(200, '{"error_code": "-3", "message": ""}').exists
    assert parse_reply(200, '{"error_code": "-1", "message": "Hồ sơ đã tồn tại"}').exists
    assert not parse_reply(200, '{"error_code": "-1", "message": "MaTTHC không tồn tại"}').exists


def test_lookup_reads_the_portal_status(gateway: GatewayEmulator) -> None:
    client = DvcqgClient(GatewayConfig(url=gateway.url, username="monitor", password="secret",
                                       read_timeout_s=2))
    gateway.dossiers["A-1"] = {"MaHoSo": "A-1", "TrangThaiHoSo": "4"}
    try:
        assert client.lookup("000.32.26.H26", "A-1") == 4
        assert client.lookup("000.32.26.H26", "A-2") is None
        assert client.logins == 1
    finally:
        client.close()


def test_refused_login_stops_the_run_without_blaming_any_dossier(
        live: Runtime, gateway: GatewayEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVCQG_PASSWORD", "wrong")
    source = Source(live)
    code = source.new(1, T0)
    source.deliver(T0)
    report = run(live, T0)
    assert report.error and "Sai tên đăng nhập" in report.error and report.results == []
    row = state(live, code)
    assert row.state is SyncState.PENDING and row.attempts == 0
    with live.sessions() as session:
        assert "Sai tên đăng nhập" in (session.scalars(select(PortalSyncRun.error)).one() or "")
    with pytest.raises(PortalLoginError, match="no password"):
        DvcqgClient(GatewayConfig(url=gateway.url, username="x", password="")).login()


def test_recovery_every_change_reaches_the_portal_exactly_once_and_in_order(
        live: Runtime, gateway: GatewayEmulator) -> None:
    source = Source(live)
    codes = [source.new(n, T0 + dt.timedelta(minutes=n)) for n in range(1, 6)]
    gateway.dossiers[codes[4]] = {"MaHoSo": codes[4], "TrangThaiHoSo": "2"}
    faults = [("http500", SYNC, codes[0]), ("timeout", PROGRESS, codes[1]),
              ("plain_ok", SYNC, codes[2]), ("expire", None, None), ("http503", PROGRESS, None),
              ("plain_error", PROGRESS, codes[3]), ("timeout", SYNC, codes[3])]
    steps = [Status.PROCESSING, Status.WAITING_SUPPLEMENT, Status.PROCESSING, Status.RESOLVED,
             Status.RETURNED]
    now, failures = T0 + dt.timedelta(minutes=10), 0
    for round_, status in enumerate(steps):
        now += dt.timedelta(minutes=7)
        for index, code in enumerate(codes):
            if (round_ + index) % 2 == 0 or round_ == len(steps) - 1:
                source.step(code, status, now - dt.timedelta(minutes=6 - index))
        source.deliver(now)
        for kind, service, code in faults[round_::len(steps)]:
            gateway.fail(kind, service, code)
        failures += run(live, now).failed
    for _ in range(10):
        now += dt.timedelta(minutes=11)
        report = run(live, now)
        failures += report.failed
        if report.results == [] and not gateway.faults:
            break
    assert failures == 5 and not gateway.faults  # 500, timeout ×2, 503, text error
    assert gateway.logins == 2  # the expired session was renewed once
    assert all(state(live, code).state is SyncState.SYNCED for code in codes)
    assert_portal_holds_the_truth(live, gateway, codes)


def test_gateway_down_an_hour_then_queue_drains_no_update_lost_latest_wins(
        database_url: str, gateway: GatewayEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVCQG_PASSWORD", "secret")
    runtime = live_runtime(database_url, gateway)
    source = Source(runtime)
    codes = [source.new(n, T0) for n in range(1, 7)]
    source.deliver(T0)
    run(runtime, T0)
    gateway.stop()
    rng = random.Random(3)
    statuses = [Status.PROCESSING, Status.WAITING_SUPPLEMENT, Status.PROCESSING, Status.RESOLVED]
    progress = dict.fromkeys(codes, 0)
    for minute in range(5, 65, 5):
        now = T0 + dt.timedelta(minutes=minute)
        for code in rng.sample(codes, 3):
            if progress[code] < len(statuses):
                source.step(code, statuses[progress[code]], now - dt.timedelta(minutes=1))
                progress[code] += 1
        source.deliver(now)
        report = run(runtime, now)
        assert len(report.results) <= 3  # a dead gateway is not hammered
        with runtime.sessions() as session:
            overview = sync_overview(session, now, PortalOptions().zone)
        assert overview.lag == dt.timedelta(minutes=minute - 5)  # since the first change
    up_at = T0 + dt.timedelta(minutes=65)
    gateway.start()
    for minute in range(0, 60, 5):
        if run(runtime, up_at + dt.timedelta(minutes=minute)).results == []:
            break
    drained_at = up_at + dt.timedelta(minutes=minute)
    with runtime.sessions() as session:
        overview = sync_overview(session, drained_at, PortalOptions().zone)
    assert overview.counts[SyncState.SYNCED] == len(codes) and overview.lag is None
    assert minute <= 30
    assert_portal_holds_the_truth(runtime, gateway, codes)
    for code in codes:  # while down nothing was acknowledged, so only the latest state went
        assert len(gateway.calls(SYNC, code)) == (2 if progress[code] else 1)
    runtime.engine.dispose()
