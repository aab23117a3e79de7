"""The attack stand: `tthc-monitor serve` (real waitress) on a seeded SQLite file, a reverse
proxy in front of it, and an HTTP client that can speak from any loopback address.

Each test module gets its own server. A module changes the configuration by defining a
module-scoped fixture `stand_overrides` (a dict merged into the shipped config.toml) and the
environment by `stand_env`; `stand_seed` may replace or extend the seed.
"""

from __future__ import annotations

import datetime as dt
import http.client
import http.server
import re
import secrets
import socketserver
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli.context import load_settings
from service.models import Dossier
from service.runtime import Runtime
from service.users.accounts import create_user, password_hasher
from service.users.tokens import issue_token
from service.vocabulary import Status
from tests.builders import ingest, record
from tests.configs import merged, shipped_config, write_config
from tests.conftest import UNIT_CODE, local
from tests.processes import Process, clean_env, free_port, run_cli

UNIT_B = "000.32.27.H26"
UNIT_B_NAME = "UBND xã Ngũ Hùng"
PASSWORD = "Mật-khẩu-đủ-dài-2026"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SEEDED_AT = local(2026, 11, 30, 9)
# Users of every role: (username, role, units, handler).
USERS = (
    ("quantri", "admin", (), None),
    ("canbo_a", "clerk", (UNIT_CODE,), None),
    ("canbo_b", "clerk", (UNIT_B,), None),
    ("lanhdao_a", "head", (UNIT_CODE,), "Công chức Tư pháp - Hộ tịch"),
    ("xem_a", "viewer", (UNIT_CODE,), None),
)
# Dossiers: code -> what the attacks need of each.
DOSSIER_A = "000.32.26.H26-261130-0001"       # unit A, phone 0912345678
NO_PHONE_A = "000.32.26.H26-261130-0002"      # unit A, no phone at all
SHORT_PHONE_A = "000.32.26.H26-261130-0003"   # unit A, a phone of 3 digits
DOSSIER_B = "000.32.27.H26-261130-0001"       # unit B, phone 0987654321


@dataclass
class Answer:
    """One HTTP answer, read whole."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def call(url: str, path: str, method: str = "GET", *, headers: Mapping[str, str] | None = None,
         body: bytes | str | None = None, source: str | None = None,
         cookies: Mapping[str, str] | None = None, timeout: float = 30) -> Answer:
    """Send one raw request to `url` + `path` (the path is sent as given, unnormalised).

    `source` is the loopback address to speak from (127.0.0.2, 127.0.0.3, ...): the server
    sees a different client for each.
    """
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout,
        source_address=(source, 0) if source else None)
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


class Browser:
    """A signed-in (or anonymous) client of the stand: keeps cookies, reads form tokens."""

    def __init__(self, url: str, source: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.url, self.source, self.cookies = url, source, {}
        self.headers = dict(headers or {})

    def request(self, path: str, method: str = "GET", *, data: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None, body: bytes | str | None = None
                ) -> Answer:
        sent = {**self.headers, **(headers or {})}
        if data is not None:
            body = urllib.parse.urlencode(data)
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        answer = call(self.url, path, method, headers=sent, body=body, source=self.source,
                      cookies=self.cookies)
        for raw in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=Thu, 01 Jan 1970" in raw or "Max-Age=0" in raw:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return answer

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request(path, **kwargs)

    def post(self, path: str, data: Mapping[str, str] | None = None, **kwargs: Any) -> Answer:
        return self.request(path, "POST", data=data, **kwargs)

    def csrf(self, path: str = "/dang-nhap") -> str:
        """The form token on a page (the login page when signed out)."""
        found = TOKEN_RE.search(self.get(path).text)
        assert found, f"no form token on {path}"
        return found.group(1)

    def sign_in(self, username: str, password: str = PASSWORD) -> Answer:
        token = self.csrf("/dang-nhap")
        return self.post("/dang-nhap", {"username": username, "password": password,
                                        "csrf_token": token})


class ReverseProxy:
    """A reverse proxy as nginx is configured in front of the app (README, Security):
    it appends the peer to X-Forwarded-For and states the scheme it was reached by."""

    def __init__(self, upstream: str, scheme: str = "https") -> None:
        target = urllib.parse.urlsplit(upstream)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive", "x-forwarded-proto",
                                                "x-forwarded-host")}
                before = self.headers.get("X-Forwarded-For")
                peer = self.client_address[0]
                headers["X-Forwarded-For"] = f"{before}, {peer}" if before else peer
                headers["X-Forwarded-Proto"] = proxy.scheme
                headers["X-Forwarded-Host"] = self.headers.get("Host", "")
                connection = http.client.HTTPConnection(target.hostname, target.port,
                                                        timeout=60)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    data = answer.read()
                    self.send_response_only(answer.status, answer.reason)
                    for key, value in answer.getheaders():
                        if key.lower() not in ("connection", "transfer-encoding",
                                               "content-length"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    connection.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.scheme = scheme
        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@dataclass
class Stand:
    """A running `tthc-monitor serve` on its own database, and what it was seeded with."""

    url: str
    root: Path
    config: Path
    env: dict[str, str]
    process: Process
    runtime: Runtime
    tokens: dict[str, str] = field(default_factory=dict)
    proxies: list[ReverseProxy] = field(default_factory=list)

    def browser(self, source: str | None = None, **kwargs: Any) -> Browser:
        return Browser(self.url, source, **kwargs)

    def signed_in(self, username: str, source: str | None = None) -> Browser:
        client = self.browser(source)
        answer = client.sign_in(username)
        assert answer.status in (302, 303), f"{username} could not sign in: {answer.status}"
        return client

    def proxy(self, scheme: str = "https") -> ReverseProxy:
        """A reverse proxy in front of this server (closed with the stand)."""
        made = ReverseProxy(self.url, scheme)
        self.proxies.append(made)
        return made

    def secret(self, code: str) -> str:
        """A dossier's receipt secret, read from the database."""
        with self.runtime.sessions() as session:
            return session.scalar(select(Dossier.lookup_secret).where(Dossier.code == code))

    def dossier(self, code: str) -> Dossier:
        with self.runtime.sessions() as session:
            return session.scalar(select(Dossier).where(Dossier.code == code))


def default_seed(session: Session, runtime: Runtime, tokens: dict[str, str]) -> None:
    """Two units, four dossiers, a user of every role, a read token and an admin token."""
    received = local(2026, 11, 27, 9)
    ingest(runtime, SEEDED_AT,
           record(DOSSIER_A, received),
           record(NO_PHONE_A, received, applicant_phone=None, applicant_name="Trần Thị Hoa"),
           record(SHORT_PHONE_A, received, applicant_phone="112", applicant_name="Lê Văn Tám"),
           record(DOSSIER_B, received, unit_code=UNIT_B, unit_name=UNIT_B_NAME,
                  applicant_phone="0987654321", applicant_name="Phạm Thị Dung",
                  applicant_id_no="030201009876"))
    hasher = password_hasher(time_cost=1, memory_kib=1024)
    for username, role, units, handler in USERS:
        create_user(session, username, PASSWORD, role, list(units), SEEDED_AT,
                    full_name=f"Cán bộ {username}", handler=handler, hasher=hasher)
    for name, scopes in (("doc", ["read"]), ("quantri", ["read", "admin"])):
        tokens[name] = issue_token(session, name, scopes, SEEDED_AT)[1]


@pytest.fixture(scope="module")
def stand_overrides() -> dict[str, Any]:
    """Configuration merged into the shipped file for this module's server."""
    return {}


@pytest.fixture(scope="module")
def stand_env() -> dict[str, str]:
    """Extra environment of this module's server."""
    return {}


@pytest.fixture(scope="module")
def stand_seed() -> Callable[[Session, Runtime, dict[str, str]], None]:
    return default_seed


@pytest.fixture(scope="module")
def stand(tmp_path_factory: pytest.TempPathFactory, stand_overrides: dict[str, Any],
          stand_env: dict[str, str],
          stand_seed: Callable[[Session, Runtime, dict[str, str]], None]) -> Iterator[Stand]:
    """`tthc-monitor serve` on a migrated, seeded SQLite file, until the module ends."""
    root = tmp_path_factory.mktemp("stand")
    database_url = f"sqlite:///{root / 'tthc.db'}"
    port = free_port()
    overrides = merged({
        "database_url": database_url,
        "server": {"host": "127.0.0.1", "port": port, "threads": 8},
        "scheduler": {"enabled": False},
        "web": {"password_time_cost": 1, "password_memory_kib": 1024},
        "lookup": {"public_url": "https://dichvucong.thanhmien.example"},
        "units": [*shipped_config().get("units", []),
                  {"code": UNIT_B, "name": UNIT_B_NAME, "place": "Ngũ Hùng"}],
    }, stand_overrides)
    config = write_config(root / "config.toml", overrides)
    env = clean_env({"TTHC_CONFIG": str(config), "TTHC_SECRET_KEY": secrets.token_urlsafe(32),
                     **stand_env})
    upgraded = run_cli(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    runtime = Runtime.from_settings(load_settings(str(config), environ=env))
    tokens: dict[str, str] = {}
    with runtime.sessions() as session:
        stand_seed(session, runtime, tokens)
        session.commit()
    process = Process.cli(["serve"], env)
    made = Stand(f"http://127.0.0.1:{port}", root, config, env, process, runtime, tokens)
    try:
        process.wait_for(r"Serving on", timeout=60)
        yield made
    finally:
        for proxy in made.proxies:
            proxy.close()
        process.stop()
        runtime.engine.dispose()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


__all__ = ["DOSSIER_A", "DOSSIER_B", "NO_PHONE_A", "PASSWORD", "SHORT_PHONE_A", "UNIT_B",
           "Answer", "Browser", "ReverseProxy", "Stand", "call", "now_utc", "Status"]
