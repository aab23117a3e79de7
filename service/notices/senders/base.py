"""What every sender shares: the message, the three kinds of failure, credentials, HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


@dataclass(frozen=True)
class Outgoing:
    """One message to one phone: the text for SMS and the values for a ZNS template."""

    kind: str
    phone: str  # the 9 digits after the 0 (see service.notices.phones)
    text: str
    values: Mapping[str, str] = field(default_factory=dict)
    # Stable across retries of the same notice, so a provider that deduplicates can.
    request_id: str = ""


class SendError(Exception):
    """A failure that a later try may cure (network, server, expired credentials)."""


class QuotaError(SendError):
    """The provider refused for want of quota or balance; `retry_at` when it comes back."""

    def __init__(self, message: str, retry_at: dt.datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class RecipientError(Exception):
    """This phone cannot be reached on this channel (no Zalo account, number refused)."""


class SetupError(Exception):
    """A sender cannot be built: a credential is missing; the text names the key."""


class Sender(Protocol):
    """Sends one message on one channel; raises SendError, QuotaError or RecipientError."""

    name: str

    def supports(self, kind: str) -> bool:
        """Whether this channel can carry messages of this kind."""
        ...

    def send(self, message: Outgoing, now: dt.datetime) -> str:
        """Send and return the provider's message id."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def read_secret(ref: Mapping[str, str], key: str, environ: Mapping[str, str]) -> str:
    """The credential a reference points to; SetupError names the key when it is missing."""
    if "env" in ref:
        value = environ.get(ref["env"], "")
        if not value:
            raise SetupError(f"{key}: environment variable {ref['env']} is not set")
        return value
    try:
        value = Path(ref["file"]).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SetupError(f"{key}: cannot read {ref['file']}: {exc.strerror}") from None
    if not value:
        raise SetupError(f"{key}: {ref['file']} is empty")
    return value


def http_session(retries: int = 2) -> requests.Session:
    """A session that retries only connections that never reached the server.

    A request that reached it is never repeated here: a read timeout may hide a message
    already sent (or a refresh token already used), so that decision belongs to the caller.
    """
    session = requests.Session()
    policy = Retry(total=retries, connect=retries, read=False, status=0, other=0,
                   backoff_factor=0.2, allowed_methods=None, raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=policy))
    session.mount("https://", HTTPAdapter(max_retries=policy))
    return session


def answer_text(response: requests.Response, limit: int = 300) -> str:
    """The first characters of an answer, one line, for error records."""
    return " ".join(response.text.split())[:limit]


def json_answer(response: requests.Response, where: str) -> dict[str, Any]:
    """The answer as a JSON object, or SendError naming the provider."""
    try:
        body = response.json()
    except ValueError:
        raise SendError(f"{where}: HTTP {response.status_code}, not JSON: "
                        f"{answer_text(response, 120)}") from None
    if not isinstance(body, dict):
        raise SendError(f"{where}: HTTP {response.status_code}, unexpected answer")
    return body
