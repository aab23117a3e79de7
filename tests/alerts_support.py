"""What the alert tests share: the recipients, their runtime, and SMTP and webhook stand-ins."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
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

from jobs import alerts as alerts_job
from service.alerts import (
    DeliveryReport,
    build_channels,
)
from service.models import Base
from service.runtime import Runtime
from tests.conftest import UNIT_CODE, make_settings
from tests.processes import free_port

TU_PHAP = "Công chức Tư pháp - Hộ tịch"


RECIPIENTS = [
    {"roles": ["clerk"], "name": "Lê Thị Cúc", "email": "cuc@thanhmien.example.vn"},
    {"roles": ["department"], "name": "Đầu mối Tư pháp", "email": "tuphap@thanhmien.example.vn",
     "handlers": [TU_PHAP]},
    {"roles": ["head"], "name": "Trưởng ban Tư pháp", "email": "truong@thanhmien.example.vn",
     "handlers": [TU_PHAP], "channels": ["email", "webhook"]},
    {"roles": ["vice_chairman"], "name": "Phó Chủ tịch Trần Văn Hải",
     "email": "pct@thanhmien.example.vn", "units": [UNIT_CODE]},
    {"roles": ["department", "head"], "name": "Công an xã", "email": "ca@thanhmien.example.vn",
     "handlers": ["Công an xã"]},
]


CLERK, DEPARTMENT, HEAD, VICE, POLICE = (f"email:{r['email']}" for r in RECIPIENTS)


def alert_settings(url: str, **alerts: Any) -> dict[str, Any]:
    section = {"recipients": RECIPIENTS, "email": {"host": "127.0.0.1"},
               "webhook": {"url": "http://127.0.0.1:9/hook"}, **alerts}
    return make_settings(url, alerts=section)


@pytest.fixture
def rt(tmp_path: Any) -> Iterator[Runtime]:
    """A runtime with the recipients above and both channels on."""
    runtime = Runtime.from_settings(alert_settings(f"sqlite:///{tmp_path / 'alerts.db'}"))
    Base.metadata.create_all(runtime.engine)
    yield runtime
    runtime.engine.dispose()


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
                            channels=build_channels(runtime.config.alerts, ENVIRON))
    assert report is not None
    return report


def parts(mail: EmailMessage) -> tuple[str, str]:
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
