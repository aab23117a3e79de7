"""Delivery through a real local SMTP server and a local HTTP webhook: once, in Vietnamese."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import DossierRecord
from jobs import scan as scan_job
from service.models import Alert, AlertDelivery, AlertDigest, AlertMessage
from service.models.alerts import DeliveryState, MessageKind
from service.runtime import Runtime
from service.vocabulary import Status
from tests.alerts_support import (
    RECIPIENTS,
    Hook,
    Mailbox,
    dispatch,
    free_port,
    parts,
    runtime_for,
    webhook_server,
)
from tests.builders import ingest, record
from tests.conftest import local

PERSONAL = ("0912345678", "010203004567", "Nguyễn Văn Bình")
CLERK_MAIL, DEPARTMENT_MAIL, HEAD_MAIL = (r["email"] for r in RECIPIENTS[:3])


@pytest.fixture
def hook() -> Iterator[Hook]:
    """The local webhook of one test."""
    with webhook_server() as state:
        yield state


def overdue(runtime: Runtime, *records: DossierRecord) -> None:
    """Make records overdue at Thu 05/03/2026 17:00, scanned at 17:01 (after closing)."""
    ingest(runtime, local(2026, 3, 2, 9), *records)
    scan_job.run(runtime, local(2026, 3, 2, 10))
    scan_job.run(runtime, local(2026, 3, 5, 17, 1))


def test_email_alert_is_vietnamese_and_shows_only_the_masked_name(
        tmp_path: Any, smtp: Mailbox, hook: Hook) -> None:
    runtime = runtime_for(tmp_path, smtp, hook.url)
    ingest(runtime, local(2026, 3, 2, 9), record("000.32.26.H26-260302-0001",
                                                 local(2026, 3, 2, 9)))
    scan_job.run(runtime, local(2026, 3, 2, 10))
    scan_job.run(runtime, local(2026, 3, 4, 7, 35))  # the day before the due date opens
    report = dispatch(runtime, local(2026, 3, 4, 7, 36))
    assert (report.sent, report.failed) == (3, 0)  # department, head: e-mail and webhook
    assert smtp.logins == [("canhbao", "mat-khau-smtp")]
    [(rcpt, mail)] = [m for m in smtp.mails if m[0] == [DEPARTMENT_MAIL]]
    assert mail["Subject"] == ("[Hạn gửi phiếu xin lỗi hôm nay (04/03/2026)] Hồ sơ "
                               "000.32.26.H26-260302-0001 – hạn 05/03/2026 17:00")
    assert mail["To"] == f"Đầu mối Tư pháp <{DEPARTMENT_MAIL}>"
    assert mail["From"] == "Theo dõi hồ sơ <tthc@example.vn>"
    text, html = parts(mail)
    assert "Kính gửi: Đầu mối Tư pháp," in text
    assert "Hạn cuối gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả" in text
    assert "khoản 6 Điều 19 Nghị định 118/2025/NĐ-CP" in text
    assert "Người nộp: Nguyễn V. B." in text
    assert "Thủ tục: Cấp Giấy xác nhận tình trạng hôn nhân" in text
    assert "Hạn giải quyết: 05/03/2026 17:00" in text
    assert "<td>Nguyễn V. B.</td>" in html and '<html lang="vi">' in html
    for value in PERSONAL:
        assert value not in mail.as_string() and value not in text + html


def test_webhook_posts_json_with_the_token_and_no_personal_data(
        tmp_path: Any, smtp: Mailbox, hook: Hook) -> None:
    runtime = runtime_for(tmp_path, smtp, hook.url)
    overdue(runtime, record("000.32.26.H26-260302-0002", local(2026, 3, 2, 9)))
    dispatch(runtime, local(2026, 3, 6, 7, 30))
    [(body, authorization)] = hook.posts
    assert authorization == "Bearer bi-mat"
    assert body["recipient"] == {"key": f"email:{HEAD_MAIL}", "name": "Trưởng ban Tư pháp"}
    assert body["subject"] == ("[Quá hạn] Hồ sơ 000.32.26.H26-260302-0002 – hạn "
                               "05/03/2026 17:00")
    assert body["items"][0]["applicant"] == "Nguyễn V. B."
    assert body["items"][0]["due_at"] == "2026-03-05T17:00:00+07:00"
    assert "Hồ sơ dưới đây đã quá hạn giải quyết." in body["text"]
    assert not any(value in json.dumps(body, ensure_ascii=False) for value in PERSONAL)


def test_alerts_raised_after_hours_go_out_at_the_opening(
        tmp_path: Any, smtp: Mailbox, hook: Hook) -> None:
    runtime = runtime_for(tmp_path, smtp, hook.url)
    overdue(runtime, record("A", local(2026, 3, 2, 9)))
    assert dispatch(runtime, local(2026, 3, 5, 17, 2)).sent == 0
    assert dispatch(runtime, local(2026, 3, 6, 7, 29)).sent == 0
    assert dispatch(runtime, local(2026, 3, 6, 7, 30)).sent == 4
    assert sorted(rcpt for rcpt, _ in smtp.mails) == sorted(
        [[CLERK_MAIL], [DEPARTMENT_MAIL], [HEAD_MAIL]])
    assert dispatch(runtime, local(2026, 3, 6, 7, 31)).sent == 0
    assert len(smtp.mails) == 3 and len(hook.posts) == 1


def test_channel_failing_three_times_then_recovering_delivers_once(
        tmp_path: Any, hook: Hook) -> None:
    runtime = runtime_for(tmp_path, None, hook.url)
    overdue(runtime, record("A", local(2026, 3, 2, 9)))
    hook.answers.extend([500, 500, 500])
    start, tried_at = local(2026, 3, 6, 7, 30), []
    for minute in range(20):
        before = len(hook.posts)
        dispatch(runtime, start + dt.timedelta(minutes=minute))
        tried_at += [minute] * (len(hook.posts) - before)
    assert len(tried_at) == 4
    gaps = [b - a for a, b in zip(tried_at, tried_at[1:], strict=False)]
    assert gaps == sorted(gaps) and gaps[0] >= 1  # backoff grows, no retry in the same minute
    with runtime.sessions() as session:
        delivery = session.scalar(select(AlertDelivery).where(AlertDelivery.channel == "webhook"))
        messages = session.execute(select(AlertMessage.sent_at, AlertMessage.error)
                                   .order_by(AlertMessage.id)).all()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        DeliveryState.SENT, 4, None)
    port = hook.url.split(":")[2].split("/")[0]
    assert [error for _, error in messages] == [f"webhook 127.0.0.1:{port}: HTTP 500"] * 3 + [
        None]
    assert messages[-1][0] is not None


def test_a_dead_channel_never_blocks_the_other(tmp_path: Any, smtp: Mailbox) -> None:
    runtime = runtime_for(tmp_path, smtp, f"http://127.0.0.1:{free_port()}/hook")
    overdue(runtime, *(record(f"B{i}", local(2026, 3, 2, 9)) for i in range(4)))
    report = dispatch(runtime, local(2026, 3, 6, 7, 30))
    # Four webhook messages to the head: three refused, then the channel rests for this run.
    assert (report.failed, report.deferred) == (3, 1)
    assert len(smtp.mails) == 12 and report.sent == 12
    with runtime.sessions() as session:
        webhook = session.execute(select(AlertDelivery.state, AlertDelivery.attempts)
                                  .where(AlertDelivery.channel == "webhook")).all()
    assert sorted(webhook) == sorted([(DeliveryState.PENDING, 1)] * 3 +
                                     [(DeliveryState.PENDING, 0)])


def test_many_alerts_after_the_day_s_digest_go_as_one_message(
        tmp_path: Any, smtp: Mailbox, hook: Hook) -> None:
    runtime = runtime_for(tmp_path, smtp, hook.url, digest_threshold=5)
    overdue(runtime, *(record(f"C{i}", local(2026, 3, 2, 9)) for i in range(2)))
    # Too few for a digest at 07:30: one message per alert. Digests are made once a day.
    morning = dispatch(runtime, local(2026, 3, 6, 7, 30))
    assert (morning.digests_created, morning.sent) == (0, 8)
    smtp.mails.clear()
    # Mid-morning a clerk imports seven more dossiers that are already overdue.
    late = [record(f"L{i}", local(2026, 3, 2, 9)) for i in range(7)]
    ingest(runtime, local(2026, 3, 6, 10), *late)
    scan_job.run(runtime, local(2026, 3, 6, 10, 1))
    report = dispatch(runtime, local(2026, 3, 6, 10, 2))
    assert (report.sent, report.alerts, report.digests_created) == (4, 28, 0)
    clerk = [mail for rcpt, mail in smtp.mails if rcpt == [CLERK_MAIL]]
    assert [m["Subject"] for m in clerk] == ["[Cảnh báo] 7 hồ sơ cần chú ý"]
    text, _ = parts(clerk[0])
    assert all(f"Mã hồ sơ: L{i}" in text for i in range(7))
    assert "Mã hồ sơ: C0" not in text


def test_daily_digest_lists_everything_open_and_folds_the_alerts_held_overnight(
        tmp_path: Any, smtp: Mailbox, hook: Hook) -> None:
    runtime = runtime_for(tmp_path, smtp, hook.url, digest_threshold=5)
    overdue(runtime, *(record(f"E{i}", local(2026, 3, 2, 9)) for i in range(7)))
    assert dispatch(runtime, local(2026, 3, 6, 7, 29)).sent == 0
    report = dispatch(runtime, local(2026, 3, 6, 7, 30))  # a Friday, the digest time
    assert report.digests_created == 4 and report.sent == 4 and report.alerts == 28
    subjects = {rcpt[0]: mail["Subject"] for rcpt, mail in smtp.mails}
    assert subjects == dict.fromkeys([CLERK_MAIL, DEPARTMENT_MAIL, HEAD_MAIL],
                                     "[Bản tin ngày 06/03/2026] 7 hồ sơ cần chú ý")
    assert dispatch(runtime, local(2026, 3, 6, 9)).sent == 0
    assert dispatch(runtime, local(2026, 3, 7, 7, 30)).digests_created == 0  # Saturday
    with runtime.sessions() as session:
        kinds = session.scalars(select(AlertMessage.kind)).all()
        states = set(session.scalars(select(AlertDigest.state)))
    assert set(kinds) == {MessageKind.DIGEST} and states == {DeliveryState.SENT}


def test_an_alert_for_a_dossier_finished_overnight_is_cancelled(
        tmp_path: Any, smtp: Mailbox, hook: Hook) -> None:
    runtime = runtime_for(tmp_path, smtp, hook.url)
    received = local(2026, 3, 2, 9)
    overdue(runtime, record("F", received))
    finished = local(2026, 3, 5, 18)
    ingest(runtime, finished, record("F", received, Status.RESOLVED, finished,
                                     finished_at=finished))
    report = dispatch(runtime, local(2026, 3, 6, 7, 30))
    assert (report.sent, report.cancelled) == (0, 4)
    assert smtp.mails == [] and hook.posts == []
    with runtime.sessions() as session:
        reasons = set(session.scalars(select(Alert.cancel_reason)))
    assert reasons == {"Hồ sơ đã kết thúc xử lý"}


def test_a_delivery_is_given_up_after_the_configured_attempts(
        tmp_path: Any, hook: Hook) -> None:
    runtime = runtime_for(tmp_path, None, hook.url, retry={"attempts": 2})
    overdue(runtime, record("G", local(2026, 3, 2, 9)))
    hook.answers.extend([503] * 10)
    reports = [dispatch(runtime, local(2026, 3, 6, 7, 30) + dt.timedelta(minutes=m))
               for m in range(10)]
    assert len(hook.posts) == 2 and sum(r.gave_up for r in reports) == 1
    with runtime.sessions() as session:
        assert session.scalar(select(AlertDelivery.state)) is DeliveryState.FAILED
