"""OpenCPS one-stop system: pull dossiers from its REST API (dvcqg-sync.md §5).

OpenCPS has no "changed since" filter, so each cycle sweeps the open statuses and recent
receive / release / finish date windows, page by page, and skips items whose `modifiedDate` the
cursor already holds. Every page is one batch with the cursor after it, so a run that fails
resumes at the page it stopped on.
"""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import requests
from marshmallow import Schema, ValidationError, fields, validate, validates
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from connectors.base import Batch, Connector, ConnectorError, RejectedRecord
from connectors.opencps.items import DEFAULT_STATUS_MAP, parse_item
from service.config.credentials import SecretError, read_secret, secret_file_field, secret_source

PATH = "/o/rest/v2/dossiers"
OPEN_STATUSES = ["new", "receiving", "processing", "interoperating", "waiting", "paying",
                 "posting", "correcting", "cancelling", "releasing"]
# Date-window filters that catch dossiers which left the open statuses since the last sweep.
WINDOWS = ("Receive", "Release", "Finish")


class OpenCPSOptions(Schema):
    """Options of [connectors.NAME] with type = "opencps"."""

    base_url = fields.Url(required=True, require_tld=False)
    group_id = fields.String(required=True, validate=validate.Length(min=1))
    username = fields.String(required=True)
    password_env = fields.String(load_default="TTHC_OPENCPS_PASSWORD")
    password_file = secret_file_field()
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))
    timeout_s = fields.Float(load_default=20.0, validate=validate.Range(min=0.01, max=600))
    retries = fields.Integer(load_default=4, validate=validate.Range(min=0, max=20))
    backoff_s = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=600))
    backoff_max_s = fields.Float(load_default=30.0, validate=validate.Range(min=0, max=3600))
    retry_after_max_s = fields.Float(load_default=60.0, validate=validate.Range(min=0, max=3600))
    window_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=3650))
    backfill_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))
    open_statuses = fields.List(fields.String(), load_default=lambda: list(OPEN_STATUSES))
    status_map = fields.Dict(keys=fields.String(), values=fields.Integer(),
                             load_default=lambda: dict(DEFAULT_STATUS_MAP))
    sub_status_map = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)
    lock_state_map = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                 load_default=lambda: {"PAUSE": 5, "PAUSE_OVERDUE": 5})
    unit_code = fields.String(load_default=None, allow_none=True)
    unit_name = fields.String(load_default=None, allow_none=True)
    timezone = fields.String(load_default="Asia/Ho_Chi_Minh")
    max_restarts = fields.Integer(load_default=2, validate=validate.Range(min=0, max=10))
    interval_minutes = fields.Integer(load_default=10, validate=validate.Range(min=1))

    @validates("status_map", "sub_status_map", "lock_state_map")
    def portal_codes(self, value: dict[str, int], data_key: str, **kwargs: Any) -> None:
        """Every mapping points at a portal status code 1-10."""
        for key, code in value.items():
            if not 1 <= code <= 10:
                raise ValidationError(f"{key} = {code}: expected a portal status code 1-10")


class _Transient(Exception):
    """A fault worth retrying; `retry_after` is the server's own hint in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OpenCPSConnector(Connector):
    """Pulls dossiers from an OpenCPS server with paging, retries and a resumable sweep."""

    type_name = "opencps"
    options_schema = OpenCPSOptions

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        self.zone = ZoneInfo(self.options["timezone"])
        self.http = requests.Session()
        self.http.headers.update({"groupId": self.options["group_id"],
                                  "Accept": "application/json"})

    def parse_item(self, item: dict[str, Any]) -> Any:
        """Turn one OpenCPS item into a canonical record; ValueError says what is wrong."""
        return parse_item(item, self.options, self.zone)

    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        """Sweep open statuses and date windows, resuming an interrupted sweep first."""
        try:
            password = read_secret(self.options, "password")
        except SecretError as exc:
            raise ConnectorError(f"opencps {self.name}: {exc}") from None
        if not password:
            raise ConnectorError(f"opencps {self.name}: the password "
                                 f"({secret_source(self.options, 'password')}) is not set")
        self.http.auth = (self.options["username"], password)
        state = dict(cursor or {})
        sweep = state.get("sweep") or self._new_sweep(state, now)
        seen: dict[str, str] = dict(state.get("seen") or {})
        fresh: dict[str, str] = dict(sweep.pop("fresh", {}) or {})
        queries = self._queries(sweep)
        while sweep["query"] < len(queries):
            yield from self._pages(queries[sweep["query"]], sweep, seen, fresh, state)
            sweep.update(query=sweep["query"] + 1, start=0, restarts=0)
        yield Batch(records=[], cursor={"last_sweep": sweep["started"], "seen": fresh})

    def close(self) -> None:
        """Close the HTTP session."""
        self.http.close()

    def _new_sweep(self, state: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        today = now.astimezone(self.zone).date()
        first = today - dt.timedelta(days=self.options["backfill_days"])
        if state.get("last_sweep"):
            last = dt.datetime.fromisoformat(state["last_sweep"]).astimezone(self.zone).date()
            first = min(today - dt.timedelta(days=self.options["window_days"]),
                        last - dt.timedelta(days=1))
        return {"started": now.isoformat(), "from": f"{first:%Y%m%d}", "to": f"{today:%Y%m%d}",
                "query": 0, "start": 0, "restarts": 0}

    def _queries(self, sweep: dict[str, Any]) -> list[dict[str, str]]:
        queries = [{"status": ",".join(self.options["open_statuses"])}]
        for kind in WINDOWS:
            queries.append({f"from{kind}Date": sweep["from"], f"to{kind}Date": sweep["to"]})
        return queries

    def _pages(self, query: dict[str, str], sweep: dict[str, Any], seen: dict[str, str],
               fresh: dict[str, str], state: dict[str, Any]) -> Iterator[Batch]:
        """Page one query; restart it if the list shrinks under us, fail if a page repeats."""
        total, previous_ids = None, None
        while True:
            start = sweep["start"]
            page_total, items = self._page(query, start)
            ids = [str(item.get("dossierId")) for item in items if isinstance(item, dict)]
            if total is not None and (page_total < total or (not items and start < page_total)):
                self._restart(sweep, query, total, page_total)
                total, previous_ids = None, None
                continue
            if previous_ids is not None and ids and ids == previous_ids:
                raise ConnectorError(f"opencps {self.name}: page start={start} of {query} "
                                     "repeats the previous page; the server ignores paging")
            total, previous_ids = page_total, ids
            records = self._records(items, seen, fresh)
            sweep["start"] = start + len(items)
            done = not items or sweep["start"] >= page_total
            # A deep copy: the run keeps this cursor while the sweep goes on mutating its maps.
            yield Batch(records=records, cursor=copy.deepcopy(
                {**state, "seen": seen, "sweep": {**sweep, "fresh": fresh}}))
            if done:
                return

    def _restart(self, sweep: dict[str, Any], query: dict[str, str], total: int,
                 now_total: int) -> None:
        if sweep["restarts"] >= self.options["max_restarts"]:
            raise ConnectorError(f"opencps {self.name}: the list {query} shrank from {total} "
                                 f"to {now_total} items while paging, {sweep['restarts']} "
                                 "restarts did not help")
        sweep.update(start=0, restarts=sweep["restarts"] + 1)

    def _records(self, items: list[Any], seen: dict[str, str], fresh: dict[str, str]
                 ) -> list[Any]:
        records = []
        for item in items:
            if not isinstance(item, dict):
                records.append(RejectedRecord(payload={"item": item},
                                              reason="the list holds an item that is not an "
                                                     "object"))
                continue
            key, modified = str(item.get("dossierId")), str(item.get("modifiedDate"))
            if modified in (fresh.get(key), seen.get(key)):
                fresh[key] = modified
                continue
            fresh[key] = seen[key] = modified
            try:
                records.append(self.parse_item(item))
            except ValueError as exc:
                records.append(RejectedRecord(payload=item, reason=str(exc), source_id=key))
        return records

    def _page(self, query: dict[str, str], start: int) -> tuple[int, list[Any]]:
        """Fetch one page with retries; return (total, items) or raise ConnectorError."""
        params = {**query, "start": str(start), "end": str(start + self.options["page_size"])}
        retrying = Retrying(stop=stop_after_attempt(self.options["retries"] + 1),
                            wait=self._wait, retry=retry_if_exception_type(_Transient),
                            reraise=True)
        try:
            return retrying(self._get_page, params)
        except _Transient as exc:
            raise ConnectorError(f"opencps {self.name}: GET {PATH} start={start}: {exc} "
                                 f"(after {self.options['retries'] + 1} attempts)") from None

    def _wait(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception()
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, self.options["retry_after_max_s"])
        backoff = self.options["backoff_s"] * 2 ** (retry_state.attempt_number - 1)
        return min(backoff, self.options["backoff_max_s"])

    def _get_page(self, params: dict[str, str]) -> tuple[int, list[Any]]:
        url = self.options["base_url"].rstrip("/") + PATH
        try:
            response = self.http.get(url, params=params, timeout=self.options["timeout_s"])
            body = response.content
        except requests.Timeout:
            raise _Transient("timed out") from None
        except requests.RequestException as exc:
            raise _Transient(f"connection failed ({type(exc).__name__})") from None
        self._check_status(response)
        try:
            page = response.json() if body else None
        except ValueError:
            raise _Transient("the reply is not JSON (truncated or an error page)") from None
        if not isinstance(page, dict) or not isinstance(page.get("data", []), list) or \
                not isinstance(page.get("total"), int) or isinstance(page.get("total"), bool):
            raise _Transient("the reply is not a page {total, data}")
        return page["total"], page.get("data") or []

    def _check_status(self, response: requests.Response) -> None:
        code = response.status_code
        if code in (401, 403):
            raise ConnectorError(f"opencps {self.name}: authentication refused (HTTP {code}); "
                                 "check username, password and group_id")
        if code == 429 or code >= 500:
            raise _Transient(f"HTTP {code}", _retry_after(response.headers.get("Retry-After")))
        if code >= 400:
            raise ConnectorError(f"opencps {self.name}: GET {PATH} answered HTTP {code}")


def _retry_after(value: str | None) -> float | None:
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
