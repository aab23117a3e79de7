"""SMS gateways as providers document them, and failures that never hold up other citizens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from service.models import CitizenNotice, NoticeAttempt
from service.models.notices import NoticeState
from service.runtime import Runtime
from tests.builders import ingest, record
from tests.conftest import local
from tests.fixtures.sms.server import ESMS_GET, SPEEDSMS_SEND, Gateway
from tests.fixtures.zalo.server import ZaloOA
from tests.notices.conftest import ENVIRON, esms_section, run_notices, zalo_section

RECEIVED = local(2026, 3, 2, 9)
NOW = local(2026, 3, 2, 9, 5)
CITIZENS = ("0912000001", "0912000002", "0912000003")


def receive(runtime: Runtime, *phones: str) -> None:
    ingest(runtime, RECEIVED, *(record(f"S-{n}", RECEIVED, applicant_phone=phone)
                                for n, phone in enumerate(phones, 1)))


def rows(runtime: Runtime) -> list[CitizenNotice]:
    with runtime.sessions() as session:
        return list(session.scalars(select(CitizenNotice).order_by(CitizenNotice.id)))


def speedsms_section(url: str) -> dict[str, Any]:
    """[notices.sms] for SpeedSMS: the token as Basic-auth user, numbers as a list."""
    return {"url": url + SPEEDSMS_SEND, "method": "POST", "body": "json",
            "params": {"to": ["{phone}"], "content": "{text}", "sms_type": 2,
                       "sender": "UBND-THANHMIEN"},
            "basic_auth": "{secret:token}:x", "secrets": {"token": {"env": "SPEEDSMS_TOKEN"}},
            "success": r'"status"\s*:\s*"success"', "quota": [r'"code"\s*:\s*"300"'],
            "recipient_errors": [r'"code"\s*:\s*"105"'], "timeout_s": 0.5}


def test_the_esms_call_can_go_as_a_query(notices_runtime: Callable[..., Runtime],
                                         gateway: Gateway, tmp_path: Path) -> None:
    section = esms_section(gateway.url, tmp_path / "esms", method="GET")
    section["url"] = gateway.url + ESMS_GET
    runtime = notices_runtime(channels=["sms"], events=["received"], sms=section)
    receive(runtime, CITIZENS[0])
    assert run_notices(runtime, NOW).sent == 1
    [sent] = gateway.sent
    assert (sent["Phone"], sent["Brandname"], sent["SmsType"]) == (
        "0912000001", "UBND-THANHMIEN", "2")
    assert sent["Content"].startswith("UBND xa Thanh Mien: Ho so S-1 (Cap Giay")


def test_speedsms_takes_its_token_by_basic_auth(notices_runtime: Callable[..., Runtime],
                                                gateway: Gateway) -> None:
    runtime = notices_runtime(channels=["sms"], events=["received"],
                              sms=speedsms_section(gateway.url))
    receive(runtime, CITIZENS[0])
    assert run_notices(runtime, NOW, {"SPEEDSMS_TOKEN": "speedsms-token"}).sent == 1
    [sent] = gateway.sent
    assert sent["to"] == ["0912000001"] and sent["sender"] == "UBND-THANHMIEN"
    with runtime.sessions() as session:
        assert session.scalar(select(NoticeAttempt.provider_id)) == "1"  # SpeedSMS's tranId
    receive(runtime, CITIZENS[0], CITIZENS[1])
    report = run_notices(runtime, local(2026, 3, 2, 9, 6), {"SPEEDSMS_TOKEN": "wrong"})
    assert (report.sent, report.failed) == (0, 1)
    assert "HTTP 401" in (rows(runtime)[1].reason or "")


def test_diacritics_are_kept_when_the_gateway_takes_unicode(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path) -> None:
    section = esms_section(gateway.url, tmp_path / "esms", diacritics=True)
    section["params"]["IsUnicode"] = 1
    runtime = notices_runtime(channels=["sms"], events=["received"], sms=section)
    receive(runtime, CITIZENS[0])
    run_notices(runtime, NOW)
    assert gateway.sent[0]["Content"].startswith(
        "UBND xã Thanh Miện: Hồ sơ S-1 (Cấp Giấy xác nhận tình trạng hôn nhân) đã được tiếp "
        "nhận ngày 02/03/2026")
    assert gateway.sent[0]["IsUnicode"] == 1


def test_a_request_id_the_gateway_already_took_counts_as_sent(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path) -> None:
    runtime = notices_runtime(channels=["sms"], sms=esms_section(gateway.url, tmp_path / "e"))
    receive(runtime, CITIZENS[0])
    gateway.request_ids.add("tthc-notice-1")  # an earlier try went through, its answer lost
    assert run_notices(runtime, NOW).sent == 1
    assert gateway.sent == [] and rows(runtime)[0].state is NoticeState.SENT


def test_an_empty_balance_is_retried_later(notices_runtime: Callable[..., Runtime],
                                           gateway: Gateway, tmp_path: Path) -> None:
    runtime = notices_runtime(channels=["sms"], sms=esms_section(gateway.url, tmp_path / "e"))
    gateway.balance = 0
    receive(runtime, CITIZENS[0])
    report = run_notices(runtime, NOW)
    assert (report.sent, report.failed) == (0, 1)
    [row] = rows(runtime)
    assert row.state is NoticeState.PENDING
    assert row.reason is not None and row.reason.startswith(
        "Nhà cung cấp báo hết hạn mức gửi, sẽ gửi lại lúc 09:10 02/03/2026")
    gateway.balance = 10
    assert run_notices(runtime, local(2026, 3, 2, 9, 8)).sent == 0  # not due yet
    assert run_notices(runtime, local(2026, 3, 2, 9, 11)).sent == 1


def test_a_blocked_number_is_given_up_at_once(notices_runtime: Callable[..., Runtime],
                                              gateway: Gateway, tmp_path: Path) -> None:
    runtime = notices_runtime(channels=["sms"], sms=esms_section(gateway.url, tmp_path / "e"))
    gateway.blocked.add(CITIZENS[0])
    receive(runtime, CITIZENS[0])
    assert run_notices(runtime, NOW).gave_up == 1
    [row] = rows(runtime)
    assert row.state is NoticeState.FAILED
    assert row.reason == ("Không gửi được tới số điện thoại này: sms 127.0.0.1:"
                          f"{gateway.url.rsplit(':', 1)[1]}: " '{"CodeResult": "99", '
                          '"ErrorMessage": "The phone number is blocked in the system"}')


@pytest.mark.parametrize("fault", ["hang", "http500"])
def test_one_failing_citizen_never_blocks_the_others(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path,
        fault: str) -> None:
    runtime = notices_runtime(channels=["sms"], events=["received"],
                              sms=esms_section(gateway.url, tmp_path / "e"))
    gateway.faults[CITIZENS[1]] = fault
    receive(runtime, *CITIZENS)
    report = run_notices(runtime, NOW)
    assert (report.sent, report.failed) == (2, 1)
    assert sorted(m["Phone"] for m in gateway.sent) == [CITIZENS[0], CITIZENS[2]]
    failing = rows(runtime)[1]
    assert failing.state is NoticeState.PENDING and failing.attempts == 1
    expected = "ReadTimeout" if fault == "hang" else "HTTP 500"
    assert failing.reason is not None and expected in failing.reason
    # 5 minutes, spread by (2 · 7919 mod 100) ‰ = 3.8 % for notice 2: 311.4 s.
    assert failing.next_attempt_at == local(2026, 3, 2, 9, 10, 11, 400000)
    del gateway.faults[CITIZENS[1]]
    gateway.release.set()
    assert run_notices(runtime, local(2026, 3, 2, 9, 11)).sent == 1
    assert [r.state for r in rows(runtime)] == [NoticeState.SENT] * 3


def test_a_zalo_outage_does_not_hold_up_other_citizens(
        notices_runtime: Callable[..., Runtime], oa: ZaloOA) -> None:
    runtime = notices_runtime(channels=["zalo_zns"], events=["received"],
                              zalo_zns=zalo_section(oa))
    oa.zalo_users.update("84" + phone[1:] for phone in CITIZENS)
    oa.faults["84912000001"] = "http500"
    receive(runtime, *CITIZENS)
    report = run_notices(runtime, NOW, {**ENVIRON,
                                        "ZALO_REFRESH_TOKEN": oa.grant_refresh_token()})
    assert (report.sent, report.failed) == (2, 1)
    assert [r.state for r in rows(runtime)] == [NoticeState.PENDING, NoticeState.SENT,
                                                NoticeState.SENT]


def test_a_long_procedure_name_leaves_room_for_the_lookup_address(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path) -> None:
    runtime = notices_runtime(channels=["sms"], sms=esms_section(gateway.url, tmp_path / "e"))
    name = ("Thủ tục đăng ký lại khai sinh có yếu tố nước ngoài cho người đã có hồ sơ, giấy tờ "
            "cá nhân lưu tại cơ quan đại diện của Việt Nam ở nước ngoài")
    ingest(runtime, RECEIVED, record("000.32.26.H26-260302-0123", RECEIVED,
                                     procedure_code="2.000528", procedure_name=name))
    run_notices(runtime, NOW)
    [text] = [m["Content"] for m in gateway.sent]
    assert len(text) <= 306  # two GSM-7 parts of 153 characters
    assert "(Thu tuc dang ky lai khai sinh co yeu to nuoc ngoai cho nguo...) da duoc" in text
    assert text.endswith("tai https://dichvucong.thanhmien.example.vn/tra-cuu bang ma ho so va "
                         "ma tra cuu.")
