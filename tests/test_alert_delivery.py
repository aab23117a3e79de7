"""Delivery through a real local SMTP server and a local HTTP webhook: once, in Vietnamese."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from connectors.base import DossierRecord
from jobs import alerts as alerts_job
from jobs import scan as scan_job
from service.alerts import DeliveryReport, build_channels
from service.models import Alert, AlertDelivery, AlertDigest, AlertMessage, Base
from service.models.alerts import DeliveryState, MessageKind
from service.runtime import Runtime
from service.vocabulary import Status
from tests.builders import ingest, record
from tests.conftest import local, make_settings
from tests.test_alerts import RECIPIENTS

PERSONAL = ("0912345678", "010203004567", "Nguyễn Văn Bình")
CLERK_MAIL, DEPARTMENT_MAIL, HEAD_MAIL = (r["email"] for r in RECIPIENTS[:3])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the local SMTP server received."""

    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append((list(envelope.rcpt_tos), mail))  # type: ignore[arg-type]
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"mat-khau-smtp")


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 that asks for a login."""
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port,
                            authenticator=box.authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    """The local SMTP server of one test."""
    with smtp_server() as box:
        yield box


@dataclass
class Hook:
    """What the local webhook received, and the statuses it answers with."""

    posts: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    answers: deque[int] = field(default_factory=deque)
    url: str = ""
    arrived: threading.Condition = field(default_factory=threading.Condition)
    # With hold_first, the first post stays open until `release` is set (a stalled bot).
    hold_first: bool = False
    release: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until count posts arrived (True) or timeout seconds passed (False)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.posts) >= count, timeout)


@contextlib.contextmanager
def webhook_server(hold_first: bool = False) -> Iterator[Hook]:
    """A local HTTP server standing in for a chat bot's webhook."""
    state = Hook(hold_first=hold_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.arrived:
                state.posts.append((body, self.headers.get("Authorization")))
                status = state.answers.popleft() if state.answers else 200
                first = len(state.posts) == 1
                state.arrived.notify_all()
            if first and state.hold_first:
                state.release.wait(timeout=120)
            with contextlib.suppress(OSError):  # a held sender may be dead by now
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def hook() -> Iterator[Hook]:
    """The local webhook of one test."""
    with webhook_server() as state:
        yield state


def runtime_for(tmp_path: Any, smtp: Mailbox | None, hook_url: str,
                **alerts: Any) -> Runtime:
    section = {"recipients": RECIPIENTS, "webhook": {"url": hook_url},
               "email": {"host": "127.0.0.1" if smtp else "", "port": smtp.port if smtp else 25,
                         "starttls": False, "username": "canhbao",
                         "sender": "Theo dõi hồ sơ <tthc@example.vn>"},
               **alerts}
    runtime = Runtime.from_settings(make_settings(f"sqlite:///{tmp_path / 'd.db'}",
                                                  alerts=section))
    Base.metadata.create_all(runtime.engine)
    return runtime


ENVIRON = {"TTHC_SMTP_PASSWORD": "mat-khau-smtp", "TTHC_ALERT_WEBHOOK_TOKEN": "bi-mat"}


def dispatch(runtime: Runtime, now: dt.datetime) -> DeliveryReport:
    report = alerts_job.run(runtime, now,
                            channels=build_channels(runtime.settings["alerts"], ENVIRON))
    assert report is not None
    return report


def overdue(runtime: Runtime, *records: DossierRecord) -> None:
    """Make records overdue at Thu 05/03/2026 17:00, scanned at 17:01 (after closing)."""
    ingest(runtime, local(2026, 3, 2, 9), *records)
    scan_job.run(runtime, local(2026, 3, 2, 10))
    scan_job.run(runtime, local(2026, 3, 5, 17, 1))


def parts(mail: EmailMessage) -> tuple[str, str]:
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


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
