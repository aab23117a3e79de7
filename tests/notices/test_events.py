"""Which events reach the citizen, each once, and when: history, consent, opt-out, office hours."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from connectors.base import EventRecord, SupplementRecord
from service.dossiers.extension import issue_extension
from service.models import CitizenNotice, Dossier
from service.models.notices import NoticeKind, NoticeState
from service.notices import opt_out
from service.runtime import Runtime
from service.vocabulary import Status
from tests.builders import ingest, record
from tests.conftest import local
from tests.fixtures.sms.server import Gateway
from tests.notices.conftest import notices, run_notices, sms_runtime

CODE = "000.32.26.H26-260302-0001"
RECEIVED = local(2026, 3, 2, 9)  # a Monday
ACCEPTED = EventRecord(RECEIVED, Status.ACCEPTED)


def test_each_event_reaches_the_citizen_once(notices_runtime: Callable[..., Runtime],
                                             gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path)
    ingest(runtime, RECEIVED, record(CODE, RECEIVED))
    run_notices(runtime, local(2026, 3, 2, 9, 5))
    run_notices(runtime, local(2026, 3, 2, 9, 6))
    asked = local(2026, 3, 2, 10)
    missing = "Thiếu bản sao Giấy khai sinh của người yêu cầu"
    ingest(runtime, asked, record(
        CODE, RECEIVED, Status.WAITING_SUPPLEMENT, modified=asked,
        events=(ACCEPTED, EventRecord(asked, Status.WAITING_SUPPLEMENT, note=missing)),
        supplements=(SupplementRecord(asked, None, missing),)))
    run_notices(runtime, local(2026, 3, 2, 10, 5))
    done = local(2026, 3, 2, 11)
    ingest(runtime, done, record(
        CODE, RECEIVED, Status.PROCESSING, modified=done,
        events=(ACCEPTED, EventRecord(asked, Status.WAITING_SUPPLEMENT, note=missing)),
        supplements=(SupplementRecord(asked, done, missing),)))
    with runtime.sessions.begin() as session:
        row = session.scalar(select(Dossier).where(Dossier.code == CODE))
        issue_extension(session, runtime.policy, row, local(2026, 3, 10, 17),
                        "Chờ xác minh thông tin hộ tịch tại nơi cư trú trước đây",
                        "Nguyễn Văn An", local(2026, 3, 2, 13, 40))
    run_notices(runtime, local(2026, 3, 2, 13, 45))
    ready = local(2026, 3, 2, 14)
    ingest(runtime, ready, record(
        CODE, RECEIVED, Status.RESOLVED, modified=ready, finished_at=ready,
        events=(ACCEPTED, EventRecord(asked, Status.WAITING_SUPPLEMENT, note=missing),
                EventRecord(ready, Status.RESOLVED))))
    for minute in (5, 6, 7):
        run_notices(runtime, local(2026, 3, 2, 14, minute))

    texts = [m["Content"] for m in gateway.sent]
    assert [kind for _, kind, _, _ in notices(runtime)] == [
        NoticeKind.RECEIVED, NoticeKind.SUPPLEMENT, NoticeKind.APOLOGY, NoticeKind.RESULT]
    assert {state for _, _, state, _ in notices(runtime)} == {NoticeState.SENT}
    assert len(texts) == 4
    # Brandname SMS without diacritics (IsUnicode 0): see the README's "Citizen notices".
    assert texts[0].startswith(f"UBND xa Thanh Mien: Ho so {CODE} (Cap Giay xac nhan tinh "
                               "trang hon nhan) da duoc tiep nhan ngay 02/03/2026")
    assert "Tra cuu tien do tai https://dichvucong.thanhmien.example.vn/tra-cuu" in texts[0]
    assert "can bo sung, hoan thien giay to: Thieu ban sao Giay khai sinh" in texts[1]
    assert "xin loi ong/ba" in texts[2] and "Ngay hen tra ket qua moi: 10/03/2026" in texts[2]
    assert "Ly do: Cho xac minh thong tin ho tich" in texts[2]
    assert texts[3].endswith("da co ket qua. Moi ong/ba den Bo phan Mot cua nhan ket qua.")
    assert [m["RequestId"] for m in gateway.sent] == [f"tthc-notice-{n}" for n in (1, 2, 3, 4)]


def test_the_lookup_secret_goes_with_the_receipt(notices_runtime: Callable[..., Runtime],
                                                 gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path)
    ingest(runtime, RECEIVED, record(CODE, RECEIVED))
    run_notices(runtime, local(2026, 3, 2, 9, 5))
    with runtime.sessions() as session:
        secret = session.scalar(select(Dossier.lookup_secret))
    assert f"Ma tra cuu: {secret}." in gateway.sent[0]["Content"]
    assert gateway.sent[0]["Phone"] == "0912345678"


def test_a_refusal_tells_its_reason(notices_runtime: Callable[..., Runtime], gateway: Gateway,
                                    tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path, events=["refused"])
    stopped = local(2026, 3, 3, 10)
    reason = "Người yêu cầu không đủ điều kiện đăng ký kết hôn theo Luật Hôn nhân và gia đình"
    ingest(runtime, stopped, record(
        CODE, RECEIVED, Status.STOPPED, modified=stopped, stopped_at=stopped,
        events=(ACCEPTED, EventRecord(stopped, Status.STOPPED, note=reason))))
    run_notices(runtime, local(2026, 3, 3, 10, 5))
    assert [m["Content"] for m in gateway.sent] == [
        f"UBND xa Thanh Mien: Ho so {CODE} da dung xu ly. Ly do: Nguoi yeu cau khong du dieu "
        "kien dang ky ket hon theo Luat Hon nhan va gia dinh. Moi ong/ba lien he Bo phan Mot "
        "cua de biet them chi tiet."]


def test_consent_recorded_by_the_source_decides(notices_runtime: Callable[..., Runtime],
                                                gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path, consent="required",
                          events=["received"])
    ingest(runtime, RECEIVED,
           record("A-1", RECEIVED, applicant_phone="0912000001", notice_consent=True),
           record("A-2", RECEIVED, applicant_phone="0912000002", notice_consent=False),
           record("A-3", RECEIVED, applicant_phone="0912000003"))
    report = run_notices(runtime, local(2026, 3, 2, 9, 5))
    assert (report.sent, report.skipped) == (1, 2)
    assert [m["Phone"] for m in gateway.sent] == ["0912000001"]
    assert notices(runtime) == [
        ("A-1", NoticeKind.RECEIVED, NoticeState.SENT, None),
        ("A-2", NoticeKind.RECEIVED, NoticeState.SKIPPED,
         "Công dân không đồng ý nhận thông báo qua tin nhắn"),
        ("A-3", NoticeKind.RECEIVED, NoticeState.SKIPPED,
         "Chưa có sự đồng ý nhận thông báo của công dân")]


def test_unless_refused_a_silent_source_still_notifies(notices_runtime: Callable[..., Runtime],
                                                       gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path, events=["received"])
    ingest(runtime, RECEIVED,
           record("A-2", RECEIVED, applicant_phone="0912000002", notice_consent=False),
           record("A-3", RECEIVED, applicant_phone="0912000003"),
           record("A-4", RECEIVED, applicant_phone="024 3825 1234"))
    run_notices(runtime, local(2026, 3, 2, 9, 5))
    assert [m["Phone"] for m in gateway.sent] == ["0912000003"]
    assert notices(runtime)[2][3] == "Hồ sơ không có số điện thoại di động nhận được tin nhắn"


def test_a_citizen_who_opted_out_hears_nothing_more(notices_runtime: Callable[..., Runtime],
                                                    gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path)
    ingest(runtime, RECEIVED, record(CODE, RECEIVED), record("B-1", RECEIVED))
    run_notices(runtime, local(2026, 3, 2, 9, 5))
    with runtime.sessions.begin() as session:
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == CODE))
        assert opt_out(session, dossier_id, "citizen", local(2026, 3, 2, 9, 30))
        assert not opt_out(session, dossier_id, "citizen", local(2026, 3, 2, 9, 31))
    ready = local(2026, 3, 2, 14)
    ingest(runtime, ready, *(record(code, RECEIVED, Status.RESOLVED, modified=ready,
                                    finished_at=ready,
                                    events=(ACCEPTED, EventRecord(ready, Status.RESOLVED)))
                             for code in (CODE, "B-1")))
    run_notices(runtime, local(2026, 3, 2, 14, 5))
    assert len(gateway.sent) == 3  # two receipts, then B-1's result only
    assert notices(runtime)[2:] == [
        (CODE, NoticeKind.RESULT, NoticeState.SKIPPED,
         "Công dân đã từ chối nhận thông báo về hồ sơ này"),
        ("B-1", NoticeKind.RESULT, NoticeState.SENT, None)]


def test_notices_wait_for_office_hours(notices_runtime: Callable[..., Runtime],
                                       gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path)
    friday_evening = local(2026, 3, 6, 17, 30)
    ingest(runtime, friday_evening, record(CODE, friday_evening))
    for now in (local(2026, 3, 6, 17, 35), local(2026, 3, 7, 10), local(2026, 3, 9, 7, 29)):
        run_notices(runtime, now)
    assert gateway.sent == []
    with runtime.sessions() as session:
        assert session.scalar(select(CitizenNotice.next_attempt_at)) == local(2026, 3, 9, 7, 30)
    run_notices(runtime, local(2026, 3, 9, 7, 31))
    assert len(gateway.sent) == 1


def test_office_hours_can_be_waived(notices_runtime: Callable[..., Runtime], gateway: Gateway,
                                    tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path, office_hours_only=False)
    friday_evening = local(2026, 3, 6, 17, 30)
    ingest(runtime, friday_evening, record(CODE, friday_evening))
    run_notices(runtime, local(2026, 3, 6, 17, 35))
    assert len(gateway.sent) == 1


def test_a_backlog_older_than_the_age_limit_is_not_sent(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path) -> None:
    runtime = sms_runtime(notices_runtime, gateway, tmp_path, max_event_age_hours=72)
    now = local(2026, 3, 12, 9, 5)
    old, fresh = local(2026, 3, 2, 9), local(2026, 3, 12, 8)
    ingest(runtime, now, record("OLD-1", old), record("NEW-1", fresh))
    run_notices(runtime, now)
    assert [code for code, *_ in notices(runtime)] == ["NEW-1"]
