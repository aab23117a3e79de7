"""Client of the National Public Service Portal (DVCQG) through the province's gateway.

Not a dossier source: it pushes dossiers (DongBoHoSoMC), their progress lines
(CapNhatTienDoHoSoMC) and asks what the portal holds (TraCuuHoSo). It knows nothing of Flask or
the database; every fault is a PortalError naming the service and the dossier. Retrying is the
caller's business (per dossier, with backoff): a call here is tried once, except that an expired
session is renewed and the call repeated once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from connectors.base import ConnectorError

SYNC_DOSSIER = "DongBoHoSoMC"
UPDATE_PROGRESS = "CapNhatTienDoHoSoMC"
LOOKUP = "TraCuuHoSo"
# Lines per CapNhatTienDoHoSoMC call, as the one-stop systems that sync reliably send them.
PROGRESS_CHUNK = 10
SUCCESS_CODES = frozenset({"0", "00"})
EXISTS_CODES = frozenset({"3", "-3"})
# Older gateways answer some calls with plain text instead of JSON.
SUCCESS_TEXT = "thành công"
EXISTS_TEXT = "đã tồn tại"
UNAVAILABLE_HTTP = frozenset({404, 408, 429, 502, 503, 504})
REPLY_LIMIT = 2000


class PortalError(ConnectorError):
    """A call the portal did not acknowledge; `permanent` means retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False, reply: str | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.reply = reply


class GatewayUnavailable(PortalError):
    """The gateway did not answer usefully (network fault, timeout, 5xx): try again later."""


class PortalLoginError(PortalError):
    """No session could be opened: nothing can be synced until this is fixed."""


@dataclass(frozen=True)
class GatewayConfig:
    """Where the gateway is and how to talk to it."""

    url: str
    username: str
    password: str
    auth_path: str = "/auth"
    dstcode: str = "DVCQG_ADAPTER"
    connect_timeout_s: float = 5
    read_timeout_s: float = 30
    session_seconds: float = 540
    permanent_errors: Sequence[str] = ()
    auth_errors: Sequence[str] = ("session",)

    @property
    def auth_url(self) -> str:
        """The login address."""
        return self.url.rstrip("/") + "/" + self.auth_path.lstrip("/")


@dataclass(frozen=True)
class Reply:
    """A gateway answer, JSON or plain text, with its verdict."""

    ok: bool
    code: str | None
    message: str
    raw: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        """The portal already holds the dossier a create named."""
        return self.code in EXISTS_CODES or EXISTS_TEXT in self.message.lower()

    @property
    def dossier_unknown(self) -> bool:
        """The portal does not hold the dossier an update named."""
        text = self.message.lower()
        return "hồ sơ" in text and "không tồn tại" in text


@dataclass(frozen=True)
class PortalReply:
    """An acknowledged call: the portal's message and whether create/update was switched."""

    message: str
    raw: str
    updating: bool = False
    switched: bool = False


def parse_reply(status: int, text: str) -> Reply:
    """Read a gateway answer: error_code 0, "0" or "00", or plain text saying "thành công"."""
    raw = text[:REPLY_LIMIT]
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    if isinstance(body, dict):
        code = None if body.get("error_code") is None else str(body["error_code"]).strip()
        message = str(body.get("message") or body.get("error_message") or "")
        ok = code in SUCCESS_CODES if code is not None else SUCCESS_TEXT in message.lower()
        return Reply(ok and status < 400, code, message, raw, body)
    message = " ".join(str(body).split())[:500]
    return Reply(status < 400 and SUCCESS_TEXT in message.lower(), None, message, raw)


class DvcqgClient:
    """Talks to the portal gateway: cached login session, envelope, dstcode header, timeouts."""

    def __init__(self, config: GatewayConfig, http: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.http = http or requests.Session()
        self.clock = clock
        self._session: str | None = None
        self._expires = 0.0
        self.logins = 0

    def sync_dossier(self, madonvi: str, item: dict[str, Any], updating: bool) -> PortalReply:
        """Create or update one dossier; switch on "đã tồn tại" or an unknown dossier."""
        code = item["MaHoSo"]
        reply = self._sync(madonvi, item, updating)
        if not reply.ok and not updating and reply.exists:
            updating, reply, switched = True, self._sync(madonvi, item, True), True
        elif not reply.ok and updating and reply.dossier_unknown:
            updating, reply, switched = False, self._sync(madonvi, item, False), True
        else:
            switched = False
        self._check(reply, SYNC_DOSSIER, code)
        return PortalReply(reply.message, reply.raw, updating=updating, switched=switched)

    def update_progress(self, madonvi: str, lines: Sequence[dict[str, Any]]) -> PortalReply:
        """Append up to PROGRESS_CHUNK history lines of one dossier."""
        if not lines or len(lines) > PROGRESS_CHUNK:
            raise ValueError(f"send 1 to {PROGRESS_CHUNK} progress lines at a time")
        code = lines[0]["MaHoSo"]
        reply = self._call(madonvi, UPDATE_PROGRESS, {"data": list(lines)}, code)
        self._check(reply, UPDATE_PROGRESS, code)
        return PortalReply(reply.message, reply.raw, updating=True)

    def lookup(self, madonvi: str, code: str) -> int | None:
        """The status the portal holds for a dossier, or None when it does not know it."""
        reply = self._call(madonvi, LOOKUP, {"mahoso": code}, code)
        self._check(reply, LOOKUP, code)
        for item in reply.data.get("result") or []:
            if isinstance(item, dict) and item.get("MaHoSo") == code:
                try:
                    return int(str(item.get("TrangThaiHoSo")).strip())
                except ValueError:
                    raise PortalError(f"DVCQG {LOOKUP} {code}: unreadable status "
                                      f"{item.get('TrangThaiHoSo')!r}", reply=reply.raw) from None
        return None

    def close(self) -> None:
        """Release the HTTP connections."""
        self.http.close()

    def login(self) -> str:
        """Open a session on the gateway and cache it for `session_seconds`."""
        if not self.config.password:
            raise PortalLoginError("DVCQG login: no password configured", permanent=True)
        body = {"username": self.config.username, "password": self.config.password}
        try:
            status, text = self._post(self.config.auth_url, body)
        except GatewayUnavailable as exc:
            raise PortalLoginError(f"DVCQG login: {exc}") from None
        reply = parse_reply(status, text)
        token = str(reply.data.get("session") or "")
        if not reply.ok or not token:
            raise PortalLoginError(f"DVCQG login refused: {reply.message or reply.raw[:200]}",
                                   reply=reply.raw)
        self._session, self._expires = token, self.clock() + self.config.session_seconds
        self.logins += 1
        return token

    def _sync(self, madonvi: str, item: dict[str, Any], updating: bool) -> Reply:
        body = {"isUpdating": "True" if updating else "False", "data": [item]}
        return self._call(madonvi, SYNC_DOSSIER, body, item["MaHoSo"])

    def _call(self, madonvi: str, service: str, body: dict[str, Any], code: str) -> Reply:
        """POST one envelope; renew the session once if the gateway says it expired."""
        for attempt in (1, 2):
            if self._session is None or self.clock() >= self._expires:
                self.login()
            envelope = {"session": self._session, "madonvi": madonvi, "service": service, **body}
            try:
                status, text = self._post(self.config.url, envelope)
            except GatewayUnavailable as exc:
                raise GatewayUnavailable(f"DVCQG {service} {code}: {exc}") from None
            reply = parse_reply(status, text)
            if status in UNAVAILABLE_HTTP or status >= 500:
                raise GatewayUnavailable(f"DVCQG {service} {code}: HTTP {status}",
                                         reply=reply.raw)
            if reply.ok or not self._auth_failed(status, reply):
                return reply
            self._session = None
            if attempt == 2:
                raise PortalError(f"DVCQG {service} {code}: session refused after a new "
                                  f"login: {reply.message}", reply=reply.raw)
        raise AssertionError("unreachable")

    def _auth_failed(self, status: int, reply: Reply) -> bool:
        text = reply.message.lower()
        return status in (401, 403) or any(p.lower() in text for p in self.config.auth_errors)

    def _check(self, reply: Reply, service: str, code: str) -> None:
        if reply.ok:
            return
        text = reply.message or reply.raw[:200] or "empty reply"
        permanent = any(p.lower() in text.lower() for p in self.config.permanent_errors)
        label = f"error {reply.code}: " if reply.code is not None else ""
        raise PortalError(f"DVCQG {service} {code}: {label}{text}", permanent=permanent,
                          reply=reply.raw)

    def _post(self, url: str, body: dict[str, Any]) -> tuple[int, str]:
        headers = {"Accept": "application/json", "Charset": "utf-8",
                   "dstcode": self.config.dstcode}
        timeout = (self.config.connect_timeout_s, self.config.read_timeout_s)
        try:
            response = self.http.post(url, json=body, headers=headers, timeout=timeout)
        except requests.Timeout:
            raise GatewayUnavailable(f"no answer within {self.config.read_timeout_s:g} s") \
                from None
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"unreachable ({type(exc).__name__})") from None
        # Gateways answer in UTF-8 but often omit the charset, which requests would read as
        # Latin-1 for text/plain and so miss "thành công".
        return response.status_code, response.content.decode("utf-8", errors="replace")
