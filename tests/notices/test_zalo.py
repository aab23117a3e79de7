"""ZNS against the Zalo stand-in: templates, token refresh, quota, and SMS when Zalo cannot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from service.models import CitizenNotice, Dossier, NoticeAttempt, NoticeToken
from service.models.notices import NoticeState
from service.runtime import Runtime
from service.vocabulary import Status
from tests.builders import ingest, record
from tests.conftest import local
from tests.fixtures.sms.server import Gateway
from tests.fixtures.zalo.server import ZaloOA
from tests.notices.conftest import ENVIRON, esms_section, run_notices, zalo_section

RECEIVED = local(2026, 3, 2, 9)
CITIZENS = ("0912000001", "0912000002", "0912000003")


@pytest.fixture
def zalo_runtime(notices_runtime: Callable[..., Runtime], oa: ZaloOA) -> Runtime:
    """Notices by ZNS only; every citizen of CITIZENS has Zalo."""
    oa.zalo_users.update("84" + phone[1:] for phone in CITIZENS)
    return notices_runtime(channels=["zalo_zns"], events=["received"],
                           zalo_zns=zalo_section(oa))


def environ(oa: ZaloOA, seed: str) -> dict[str, str]:
    return {**ENVIRON, "ZALO_REFRESH_TOKEN": seed}


def receive(runtime: Runtime, *phones: str, at: dt.datetime = RECEIVED) -> None:
    ingest(runtime, at, *(record(f"Z-{n}", at, applicant_phone=phone)
                          for n, phone in enumerate(phones, 1)))


def states(runtime: Runtime) -> list[NoticeState]:
    with runtime.sessions() as session:
        return list(session.scalars(select(CitizenNotice.state).order_by(CitizenNotice.id)))


def test_a_template_message_carries_the_mapped_values(zalo_runtime: Runtime,
                                                      oa: ZaloOA) -> None:
    receive(zalo_runtime, CITIZENS[0])
    run_notices(zalo_runtime, local(2026, 3, 2, 9, 5), environ(oa, oa.grant_refresh_token()))
    [message] = oa.sent
    with zalo_runtime.sessions() as session:
        secret = session.scalar(select(Dossier.lookup_secret))
    assert message["phone"] == "84912000001"
    assert message["template_id"] == "301001"
    assert message["tracking_id"] == "tthc-notice-1"
    assert message["template_data"] == {
        "ma_ho_so": "Z-1", "ten_thu_tuc": "Cấp Giấy xác nhận tình trạng hôn nhân",
        "ngay_hen_tra": "05/03/2026", "ma_tra_cuu": secret}


def test_an_expired_token_is_refreshed_and_the_message_sent(zalo_runtime: Runtime,
                                                            oa: ZaloOA) -> None:
    seed = oa.grant_refresh_token()
    receive(zalo_runtime, CITIZENS[0])
    run_notices(zalo_runtime, local(2026, 3, 2, 9, 5), environ(oa, seed))
    assert (len(oa.sent), oa.refreshes) == (1, 1)
    assert seed not in oa.refresh_tokens  # Zalo's refresh tokens work once

    oa.expire_access_tokens()  # Zalo now answers -124 to the stored token
    receive(zalo_runtime, CITIZENS[0], CITIZENS[1], at=local(2026, 3, 2, 10))
    run_notices(zalo_runtime, local(2026, 3, 2, 10, 5), environ(oa, seed))
    assert (len(oa.sent), oa.refreshes) == (2, 2)
    assert states(zalo_runtime) == [NoticeState.SENT, NoticeState.SENT]
    with zalo_runtime.sessions() as session:
        stored = session.scalar(select(NoticeToken.refresh_token))
    assert oa.refresh_tokens == {stored}  # the latest pair is the one kept


def test_the_token_is_renewed_before_it_expires(zalo_runtime: Runtime, oa: ZaloOA) -> None:
    seed = oa.grant_refresh_token()
    receive(zalo_runtime, CITIZENS[0])
    run_notices(zalo_runtime, local(2026, 3, 2, 9, 5), environ(oa, seed))
    receive(zalo_runtime, CITIZENS[0], CITIZENS[1], at=local(2026, 3, 3, 10, 5))
    # 25 h 1 min after the first refresh: renewed first, never sent with a dead token.
    run_notices(zalo_runtime, local(2026, 3, 3, 10, 6), environ(oa, seed))
    assert (len(oa.sent), oa.refreshes) == (2, 2)


def test_a_new_seed_from_configuration_wins(zalo_runtime: Runtime, oa: ZaloOA) -> None:
    receive(zalo_runtime, CITIZENS[0])
    run_notices(zalo_runtime, local(2026, 3, 2, 9, 5), environ(oa, oa.grant_refresh_token()))
    oa.refresh_tokens.clear()  # the OA was authorised again in Zalo's console
    oa.expire_access_tokens()
    receive(zalo_runtime, CITIZENS[0], CITIZENS[1], at=local(2026, 3, 2, 10))
    run_notices(zalo_runtime, local(2026, 3, 2, 10, 5), environ(oa, oa.grant_refresh_token()))
    assert states(zalo_runtime) == [NoticeState.SENT, NoticeState.SENT]


def test_a_failed_refresh_keeps_the_notice_for_later(zalo_runtime: Runtime,
                                                     oa: ZaloOA) -> None:
    receive(zalo_runtime, CITIZENS[0])
    report = run_notices(zalo_runtime, local(2026, 3, 2, 9, 5), environ(oa, "rt-unknown"))
    assert (report.sent, report.failed) == (0, 1)
    with zalo_runtime.sessions() as session:
        row = session.scalar(select(CitizenNotice))
        assert row is not None and row.state is NoticeState.PENDING
        assert row.reason is not None and "Invalid refresh token" in row.reason
        assert row.next_attempt_at > local(2026, 3, 2, 9, 5)


def test_a_daily_quota_error_is_retried_the_next_day(zalo_runtime: Runtime,
                                                     oa: ZaloOA) -> None:
    seed = oa.grant_refresh_token()
    oa.daily_quota = 1
    receive(zalo_runtime, *CITIZENS)
    report = run_notices(zalo_runtime, local(2026, 3, 2, 9, 5), environ(oa, seed))
    # The first is sent; the second meets -144 and the channel rests; the third waits untried.
    assert (report.sent, report.failed, report.deferred) == (1, 1, 1)
    with zalo_runtime.sessions() as session:
        rows = session.scalars(select(CitizenNotice).order_by(CitizenNotice.id)).all()
        assert [r.next_attempt_at for r in rows[1:]] == [local(2026, 3, 3, 0)] * 2
        assert [r.attempts for r in rows] == [1, 1, 0]
        assert "-144" in (rows[1].reason or "")
    run_notices(zalo_runtime, local(2026, 3, 2, 16), environ(oa, seed))
    assert len(oa.sent) == 1  # not due again today
    oa.new_day()
    oa.daily_quota = 10
    report = run_notices(zalo_runtime, local(2026, 3, 3, 7, 35), environ(oa, seed))
    assert report.sent == 2
    assert states(zalo_runtime) == [NoticeState.SENT] * 3


def test_a_citizen_without_zalo_gets_the_sms(notices_runtime: Callable[..., Runtime],
                                             oa: ZaloOA, gateway: Gateway,
                                             tmp_path: Path) -> None:
    runtime = notices_runtime(events=["received", "refused"], zalo_zns=zalo_section(oa),
                              sms=esms_section(gateway.url, tmp_path / "esms"))
    oa.zalo_users.add("84912000001")
    receive(runtime, CITIZENS[0], CITIZENS[1])
    run_notices(runtime, local(2026, 3, 2, 9, 5), environ(oa, oa.grant_refresh_token()))
    assert [m["phone"] for m in oa.sent] == ["84912000001"]
    assert [m["Phone"] for m in gateway.sent] == ["0912000002"]
    with runtime.sessions() as session:
        tries = session.execute(select(NoticeAttempt.channel, NoticeAttempt.error)
                                .where(NoticeAttempt.notice_id == 2)
                                .order_by(NoticeAttempt.id)).all()
        channels = session.scalars(select(CitizenNotice.channel).order_by(CitizenNotice.id))
        assert list(channels) == ["zalo_zns", "sms"]
    assert tries[0] == ("zalo_zns", "zalo_zns: error -118 Zalo account not existed")
    assert tries[1] == ("sms", None)


def test_an_event_without_an_approved_template_goes_by_sms(
        notices_runtime: Callable[..., Runtime], oa: ZaloOA, gateway: Gateway,
        tmp_path: Path) -> None:
    runtime = notices_runtime(events=["refused"], zalo_zns=zalo_section(oa),
                              sms=esms_section(gateway.url, tmp_path / "esms"))
    oa.zalo_users.add("84912000001")
    stopped = local(2026, 3, 2, 10)
    ingest(runtime, stopped, record("Z-1", RECEIVED, Status.STOPPED, modified=stopped,
                                    applicant_phone=CITIZENS[0], stopped_at=stopped))
    run_notices(runtime, local(2026, 3, 2, 10, 5), environ(oa, oa.grant_refresh_token()))
    assert oa.sent == [] and len(gateway.sent) == 1
