"""OpenCPS one-stop system: pull dossiers from its REST API, GET /o/rest/v2/dossiers.

OpenCPS has no "changed since" filter, and the list's `modifiedDate` is always "", so each
cycle sweeps the open statuses and recent receive / release / finish date windows, page by
page, and skips items whose content digest (status, sub-status, lock state, latest action,
dates, ...) the cursor already holds. Every page is one batch with the cursor after it, so a
run that fails resumes at the page it stopped on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import requests
from marshmallow import Schema, ValidationError, fields, validate, validates

from connectors.base import Batch, Connector, ConnectorError, DossierRecord, RejectedRecord
from connectors.opencps.client import PageClient
from connectors.opencps.items import DEFAULT_STATUS_MAP, content_print, parse_item
from service.config.credentials import SecretError, read_secret, secret_file_field, secret_source
from service.vocabulary import Status

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
    unit_code = fields.String(load_default=None, allow_none=True)
    unit_name = fields.String(load_default=None, allow_none=True)
    timezone = fields.String(load_default="Asia/Ho_Chi_Minh")
    max_restarts = fields.Integer(load_default=2, validate=validate.Range(min=0, max=10))
    interval_minutes = fields.Integer(load_default=10, validate=validate.Range(min=1))

    @validates("status_map", "sub_status_map")
    def portal_codes(self, value: dict[str, int], data_key: str, **kwargs: Any) -> None:
        """Every mapping points at a portal status code 1-10."""
        for key, code in value.items():
            if not 1 <= code <= 10:
                raise ValidationError(f"{key} = {code}: expected a portal status code 1-10")


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
        self.client = PageClient(name, self.options, self.http)

    def parse_item(self, item: dict[str, Any], requested_at: dt.datetime | None = None
                   ) -> DossierRecord:
        """Turn one OpenCPS item into a canonical record; ValueError says what is wrong."""
        return parse_item(item, self.options, self.zone, requested_at)

    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        """Sweep open statuses and date windows, resuming an interrupted sweep first.

        The cursor holds `seen` (dossier id -> content digest of the last complete sweep),
        `waiting` (dossier id -> when it was first seen waiting for a supplement) and, while a
        sweep is under way, `sweep` with the digests it has met so far (`fresh`).
        """
        try:
            password = read_secret(self.options, "password")
        except SecretError as exc:
            raise ConnectorError(f"opencps {self.name}: {exc}") from None
        if not password:
            raise ConnectorError(f"opencps {self.name}: the password "
                                 f"({secret_source(self.options, 'password')}) is not set")
        self.http.auth = (self.options["username"], password)
        state = {"seen": {}, "waiting": {}, **(cursor or {})}
        sweep = state.get("sweep")
        if not sweep or "/" not in sweep["from"]:  # none, or begun with yyyyMMdd windows
            sweep = self._new_sweep(state, now)
        fresh: dict[str, str] = dict(sweep.pop("fresh", {}) or {})
        queries = self._queries(sweep)
        while sweep["query"] < len(queries):
            yield from self._pages(queries[sweep["query"]], sweep, fresh, state)
            sweep.update(query=sweep["query"] + 1, start=0, restarts=0)
        seen = state["seen"]
        if not fresh and seen:
            # A wrong groupId, or an account moved to another agency, gets an empty list and no
            # error; keep the old digests so the warning repeats until someone looks.
            self.warnings.append(
                f"OpenCPS trả về 0 hồ sơ cho groupId {self.options['group_id']} (tài khoản "
                f"{self.options['username']}) trong khi lần quét trước có {len(seen)} hồ sơ: "
                "kiểm tra group_id và quyền của tài khoản")
            fresh = seen
        waiting = {key: asked for key, asked in state["waiting"].items() if key in fresh}
        yield Batch(records=[], cursor={"last_sweep": sweep["started"], "seen": fresh,
                                        "waiting": waiting})

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
        return {"started": now.isoformat(), "from": _day(first), "to": _day(today),
                "query": 0, "start": 0, "restarts": 0}

    def _queries(self, sweep: dict[str, Any]) -> list[dict[str, str]]:
        queries = [{"status": ",".join(self.options["open_statuses"])}]
        for kind in WINDOWS:
            queries.append({f"from{kind}Date": sweep["from"], f"to{kind}Date": sweep["to"]})
        return queries

    def _pages(self, query: dict[str, str], sweep: dict[str, Any], fresh: dict[str, str],
               state: dict[str, Any]) -> Iterator[Batch]:
        """Page one query; restart it if the list shrinks under us, fail if a page repeats."""
        total, previous_ids = None, None
        while True:
            start = sweep["start"]
            page_total, items = self.client.page(query, start)
            ids = [str(item.get("dossierId")) for item in items if isinstance(item, dict)]
            if total is not None and (page_total < total or (not items and start < page_total)):
                self._restart(sweep, query, total, page_total)
                total, previous_ids = None, None
                continue
            if previous_ids is not None and ids and ids == previous_ids:
                raise ConnectorError(f"opencps {self.name}: trang start={start} của {query} "
                                     "lặp lại trang trước; máy chủ bỏ qua tham số phân trang")
            total, previous_ids = page_total, ids
            records = self._records(items, fresh, state)
            sweep["start"] = start + len(items)
            done = not items or sweep["start"] >= page_total
            # A page of unchanged dossiers writes nothing, not even the cursor: a run that
            # stops after it re-reads it, which costs a request and no write.
            yield Batch(records=records,
                        cursor=_snapshot(state, sweep, fresh) if records or done else None)
            if done:
                return

    def _restart(self, sweep: dict[str, Any], query: dict[str, str], total: int,
                 now_total: int) -> None:
        if sweep["restarts"] >= self.options["max_restarts"]:
            raise ConnectorError(f"opencps {self.name}: danh sách {query} co từ {total} còn "
                                 f"{now_total} hồ sơ trong lúc phân trang; khởi động lại "
                                 f"{sweep['restarts']} lần vẫn không ổn định")
        sweep.update(start=0, restarts=sweep["restarts"] + 1)

    def _records(self, items: list[Any], fresh: dict[str, str], state: dict[str, Any]
                 ) -> list[DossierRecord | RejectedRecord]:
        """Records of the items whose content changed since they were last seen."""
        records: list[DossierRecord | RejectedRecord] = []
        seen, waiting = state["seen"], state["waiting"]
        for item in items:
            if not isinstance(item, dict):
                records.append(RejectedRecord(payload={"item": item},
                                              reason="danh sách có một phần tử không phải "
                                                     "đối tượng JSON"))
                continue
            key, digest = str(item.get("dossierId")), content_print(item)
            if digest in (fresh.get(key), seen.get(key)):
                fresh[key] = digest
                continue
            fresh[key] = seen[key] = digest
            asked = waiting.get(key)
            try:
                record = self.parse_item(item, dt.datetime.fromisoformat(asked) if asked else None)
            except ValueError as exc:
                records.append(RejectedRecord(payload=item, reason=str(exc), source_id=key))
                continue
            if record.status is Status.WAITING_SUPPLEMENT and record.supplements:
                waiting[key] = record.supplements[-1].requested_at.isoformat()
            else:
                waiting.pop(key, None)
            records.append(record)
        return records


def _snapshot(state: dict[str, Any], sweep: dict[str, Any], fresh: dict[str, str]
              ) -> dict[str, Any]:
    """The cursor after this page; copies, since the sweep goes on changing its maps."""
    return {**state, "seen": dict(state["seen"]), "waiting": dict(state["waiting"]),
            "sweep": {**sweep, "fresh": dict(fresh)}}


def _day(day: dt.date) -> str:
    """A date as OpenCPS's date filters read it, d/M/yyyy; any other form is silently ignored."""
    return f"{day.day}/{day.month}/{day.year}"
