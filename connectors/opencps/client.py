"""One page of OpenCPS's dossier list over HTTP: timeouts, retries, and its odd error replies.

OpenCPS does not always say "error" with an HTTP error: a request without valid credentials
gets HTTP 203 with a JSON body `{"message": "Non-Authoritative Information.", "code": 203}`,
and any other fault inside the API answers 403 with the exception's message as
`description`. A wrong `groupId` is answered 200 with an empty list (the sweep warns of it).
"""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from connectors.base import ConnectorError

PATH = "/o/rest/v2/dossiers"
# Words of OpenCPS's authentication replies (BusinessExceptionImpl), whatever the HTTP status.
AUTH_WORDS = ("non-authoritative", "unauthorized", "unauthenticated")


class Transient(Exception):
    """A fault worth retrying; `retry_after` is the server's own hint in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PageClient:
    """Fetches pages of the list for one configured connector through its HTTP session."""

    def __init__(self, name: str, options: dict[str, Any], http: requests.Session) -> None:
        self.name, self.options, self.http = name, options, http

    def page(self, query: dict[str, str], start: int) -> tuple[int, list[Any]]:
        """Fetch one page with retries; return (total, items) or raise ConnectorError."""
        params = {**query, "start": str(start), "end": str(start + self.options["page_size"])}
        retrying = Retrying(stop=stop_after_attempt(self.options["retries"] + 1),
                            wait=self.wait, retry=retry_if_exception_type(Transient),
                            reraise=True)
        try:
            return retrying(self._get_page, params)
        except Transient as exc:
            raise ConnectorError(f"opencps {self.name}: GET {PATH} start={start}: {exc} "
                                 f"(đã thử {self.options['retries'] + 1} lần)") from None

    def wait(self, retry_state: Any) -> float:
        """Seconds before the next attempt: the server's Retry-After, else backoff."""
        exc = retry_state.outcome.exception()
        if isinstance(exc, Transient) and exc.retry_after is not None:
            return min(exc.retry_after, self.options["retry_after_max_s"])
        backoff = self.options["backoff_s"] * 2 ** (retry_state.attempt_number - 1)
        return min(backoff, self.options["backoff_max_s"])

    def _get_page(self, params: dict[str, str]) -> tuple[int, list[Any]]:
        url = self.options["base_url"].rstrip("/") + PATH
        try:
            response = self.http.get(url, params=params, timeout=self.options["timeout_s"])
            body = response.content
        except requests.Timeout:
            raise Transient("hết thời gian chờ") from None
        except requests.RequestException as exc:
            raise Transient(f"không kết nối được ({type(exc).__name__})") from None
        self._check_status(response)
        try:
            page = response.json() if body else None
        except ValueError:
            raise Transient("câu trả lời không phải JSON (bị cắt ngang hoặc là trang lỗi)"
                            ) from None
        if _auth_reply(page):
            raise self._refused(response.status_code, page)
        if not isinstance(page, dict) or not isinstance(page.get("data", []), list) or \
                not isinstance(page.get("total"), int) or isinstance(page.get("total"), bool):
            raise Transient("câu trả lời không có dạng trang {total, data}")
        return page["total"], page.get("data") or []

    def _check_status(self, response: requests.Response) -> None:
        code = response.status_code
        if code in (203, 401):
            raise self._refused(code, _json_or_none(response))
        if code == 429 or code >= 500:
            raise Transient(f"HTTP {code}", retry_after(response.headers.get("Retry-After")))
        if code == 403:
            detail = _describe(_json_or_none(response))
            raise ConnectorError(f"opencps {self.name}: OpenCPS từ chối yêu cầu (HTTP 403"
                                 f"{': ' + detail if detail else ''}); kiểm tra quyền của tài "
                                 f"khoản {self.options['username']}")
        if code >= 400:
            raise ConnectorError(f"opencps {self.name}: GET {PATH} trả lời HTTP {code}")

    def _refused(self, code: int, body: Any) -> ConnectorError:
        detail = _describe(body)
        return ConnectorError(
            f"opencps {self.name}: OpenCPS không chấp nhận đăng nhập của tài khoản "
            f"{self.options['username']} (HTTP {code}{': ' + detail if detail else ''}); "
            f"kiểm tra tên đăng nhập, mật khẩu {self._password_place()} và group_id")

    def _password_place(self) -> str:
        """Where the password was read from, as the clerk's message names it."""
        if self.options.get("password_file"):
            return f"trong tệp {self.options['password_file']}"
        return f"trong biến {self.options['password_env']}"


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _auth_reply(page: Any) -> bool:
    """True for OpenCPS's authentication error body, which is not a page."""
    if not isinstance(page, dict) or "total" in page:
        return False
    words = f"{page.get('message', '')} {page.get('description', '')}".lower()
    return str(page.get("code")) in ("203", "401") or any(w in words for w in AUTH_WORDS)


def _describe(body: Any) -> str:
    """The error body's message and description, short, for the run's error."""
    if not isinstance(body, dict):
        return ""
    parts = dict.fromkeys(str(body[key]) for key in ("message", "description") if body.get(key))
    return " ".join(parts)[:200]


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
