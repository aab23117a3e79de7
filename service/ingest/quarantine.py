"""Quarantine: records a connector or the ingest path refused, kept until fixed or dropped.

Clerks list what is open, correct a payload, and re-run it through the same ingest path. The
caller owns the transaction. Payloads may carry personal data: never log them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from connectors.base import (
    FIELD_LABELS,
    Connector,
    DossierRecord,
    EventRecord,
    RejectedRecord,
    SupplementRecord,
)
from service.ingest import Catalogue, Deriver, Ingestor
from service.models import QuarantinedRecord
from service.vocabulary import Channel, LimitUnit, Status

OPEN, RESOLVED, DISCARDED = "open", "resolved", "discarded"
STATE_LABELS = {OPEN: "Chờ xử lý", RESOLVED: "Đã nhập lại", DISCARDED: "Đã bỏ qua"}
_ENUMS = {"status": Status, "channel": Channel, "limit_unit": LimitUnit}
_INSTANTS = {"received_at", "filed_at", "source_due_at", "finished_at", "returned_at",
             "stopped_at", "source_modified_at"}
_FIELDS = {f.name for f in dataclasses.fields(DossierRecord)}
_REQUIRED = [f.name for f in dataclasses.fields(DossierRecord)
             if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
# Shortest reason a clerk may give for dropping an item.
MIN_REASON = 5


class QuarantineError(ValueError):
    """A quarantine action that cannot be done (unknown item, item not open)."""


class StoreCheck(Protocol):
    """Decides, for the person re-running an item, whether its record may be stored."""

    def before(self, record: DossierRecord) -> str | None:
        """Why the record may not be stored, or None (checked before it is written)."""

    def after(self, code: str) -> str | None:
        """Why the dossier stored under `code` may not stay, or None."""


@dataclass(frozen=True)
class RetryResult:
    """What re-running one quarantined item gave: resolved, or still refused with why."""

    id: int
    code: str | None
    resolved: bool
    reason: str | None = None


def record_payload(record: DossierRecord) -> dict[str, Any]:
    """A canonical record as JSON data, the form in which it can be fixed and replayed."""
    data = dataclasses.asdict(record)
    return json.loads(json.dumps(data, default=_json_value, ensure_ascii=False))


def record_from_payload(data: dict[str, Any]) -> DossierRecord:
    """Rebuild a canonical record from `record_payload` data; ValueError names the bad field."""
    values = dict(data)
    unknown = sorted(set(values) - _FIELDS)
    missing = [name for name in _REQUIRED if values.get(name) is None]
    if unknown or missing:
        parts = [f"thiếu trường {_named(n)}" for n in missing]
        parts += [f"trường lạ «{n}» (các trường của bản ghi: code, status, received_at…)"
                  for n in unknown]
        raise ValueError("; ".join(parts))
    for name, enum in _ENUMS.items():
        if values.get(name) is not None:
            values[name] = _member(enum, values[name], name)
    for name in _INSTANTS:
        if values.get(name):
            values[name] = _instant(values[name], name)
    try:
        values["events"] = tuple(
            EventRecord(**{**e, "at": _instant(e["at"], "events"),
                           "status": _member(Status, e["status"], "events")})
            for e in values.get("events") or ())
        values["supplements"] = tuple(
            SupplementRecord(_instant(s["requested_at"], "supplements"),
                             _instant(s["completed_at"], "supplements")
                             if s.get("completed_at") else None,
                             s.get("note")) for s in values.get("supplements") or ())
    except (TypeError, KeyError) as exc:
        raise ValueError(f"trường «events» hoặc «supplements» có mục không hợp lệ ({exc})"
                         ) from None
    return DossierRecord(**values)


def item_key(source_id: str | None, payload: dict[str, Any]) -> str:
    """One quarantine row per source item: its id when known, else a digest of the payload."""
    if source_id:
        return f"id:{source_id}"[:160]
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return "sha:" + hashlib.sha256(text.encode()).hexdigest()


def quarantine(session: Session, connector: str, run_id: int | None,
               rejected: Iterable[RejectedRecord | tuple[DossierRecord, str]],
               now: dt.datetime) -> int:
    """Keep refused items; an item seen again updates its row instead of adding one."""
    count = 0
    for item in rejected:
        if isinstance(item, RejectedRecord):
            kind, payload, reason, source_id = "source", dict(item.payload), item.reason, \
                item.source_id
            code = None
        else:
            record, reason = item
            kind, payload, source_id = "record", record_payload(record), record.source_id
            code = record.code if isinstance(record.code, str) else None
        key = item_key(source_id or (f"code:{code}" if code else None), payload)
        _upsert(session, connector, key, dict(kind=kind, payload=payload, reason=reason,
                                              source_id=source_id, code=code, run_id=run_id),
                now)
        count += 1
    session.flush()
    return count


def _upsert(session: Session, connector: str, key: str, values: dict[str, Any],
            now: dt.datetime) -> None:
    row = session.scalar(select(QuarantinedRecord).where(
        QuarantinedRecord.connector == connector, QuarantinedRecord.item_key == key))
    if row is None:
        session.add(QuarantinedRecord(connector=connector, item_key=key, state=OPEN,
                                      first_seen_at=now, last_seen_at=now, times_seen=1,
                                      attempts=0, **values))
        return
    same = row.payload == values["payload"]
    for name, value in values.items():
        if name != "code" or value is not None:
            setattr(row, name, value)
    row.last_seen_at, row.times_seen = now, row.times_seen + 1
    if not (row.state == DISCARDED and same):
        row.state, row.resolved_at = OPEN, None


def resolve_stored(session: Session, connector: str, source_ids: Sequence[str],
                   now: dt.datetime) -> int:
    """Close open items of this connector whose record has now been stored by a later run."""
    if not source_ids:
        return 0
    keys = [item_key(source_id, {}) for source_id in source_ids]
    result = session.execute(
        update(QuarantinedRecord)
        .where(QuarantinedRecord.connector == connector, QuarantinedRecord.state == OPEN,
               QuarantinedRecord.item_key.in_(keys))
        .values(state=RESOLVED, resolved_at=now))
    return result.rowcount or 0


def has_open(session: Session, connector: str) -> bool:
    """True when this connector has open items (so runs look for ones to resolve)."""
    return session.scalar(select(QuarantinedRecord.id).where(
        QuarantinedRecord.connector == connector, QuarantinedRecord.state == OPEN).limit(1)
    ) is not None


def list_quarantined(session: Session, *, connector: str | None = None,
                     state: str | None = OPEN, limit: int = 50, offset: int = 0,
                     within: ColumnElement[bool] | None = None) -> list[QuarantinedRecord]:
    """Quarantined items, most recently seen first, filtered by connector and state, and
    `within` a user's scope (service.users.scope.quarantine_condition)."""
    query = select(QuarantinedRecord).order_by(QuarantinedRecord.last_seen_at.desc(),
                                               QuarantinedRecord.id.desc())
    if within is not None:
        query = query.where(within)
    if connector:
        query = query.where(QuarantinedRecord.connector == connector)
    if state:
        query = query.where(QuarantinedRecord.state == state)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_quarantined(session: Session, *, connector: str | None = None,
                      state: str | None = OPEN, within: ColumnElement[bool] | None = None
                      ) -> int:
    """How many items match the same filters as `list_quarantined`."""
    query = select(func.count()).select_from(QuarantinedRecord)
    if within is not None:
        query = query.where(within)
    if connector:
        query = query.where(QuarantinedRecord.connector == connector)
    if state:
        query = query.where(QuarantinedRecord.state == state)
    return session.scalar(query) or 0


def fix(session: Session, item_id: int, payload: dict[str, Any], actor: str,
        now: dt.datetime) -> QuarantinedRecord:
    """Replace an open item's payload with a clerk's correction; the original is kept."""
    row = open_item(session, item_id)
    if row.original_payload is None:
        row.original_payload = row.payload
    row.payload, row.fixed_by, row.fixed_at = payload, actor, now
    session.flush()
    return row


def discard(session: Session, item_id: int, actor: str, now: dt.datetime,
            reason: str) -> QuarantinedRecord:
    """Drop an open item a clerk decided not to import, saying why."""
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise QuarantineError("hãy ghi lý do bỏ qua bản ghi (ít nhất 5 ký tự), vd. «trùng hồ sơ "
                              "đã nhập tay» hoặc «hồ sơ thử nghiệm»")
    row = open_item(session, item_id)
    row.state, row.fixed_by, row.resolved_at = DISCARDED, actor, now
    row.discard_reason = reason[:1000]
    session.flush()
    return row


def retry(session: Session, ids: Sequence[int], derive: Deriver, now: dt.datetime,
          connector_for: Callable[[str], Connector | None],
          check: StoreCheck | None = None) -> list[RetryResult]:
    """Re-run open items through the ingest path; those stored are resolved, others updated.

    A `check` refusing a record, before or after it is written, raises QuarantineError: the
    caller rolls back, so nothing of the attempt stays.
    """
    results, catalogue = [], Catalogue()
    for item_id in ids:
        row = open_item(session, item_id)
        row.attempts += 1
        try:
            record = rebuild(row.kind, row.connector, row.payload, connector_for)
        except ValueError as exc:
            row.reason = str(exc)
            results.append(RetryResult(row.id, row.code, False, row.reason))
            continue
        _refuse(check.before(record) if check else None)
        # A pushed record retried by a clerk is still bound by its sender's limits.
        connector = connector_for(row.connector)
        scope = connector.write_scope() if connector is not None else None
        ingestor = Ingestor(session, row.connector, derive, catalogue, scope)
        ingestor.store([record], now)
        if ingestor.rejects:
            row.reason = ingestor.rejects[0][1]
            results.append(RetryResult(row.id, record.code, False, row.reason))
            continue
        _refuse(check.after(record.code) if check else None)
        row.state, row.resolved_at, row.code = RESOLVED, now, record.code
        results.append(RetryResult(row.id, record.code, True))
    session.flush()
    return results


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise QuarantineError(reason)


def rebuild(kind: str, connector_name: str, payload: dict[str, Any],
            connector_for: Callable[[str], Connector | None]) -> DossierRecord:
    """The record a quarantined payload stands for; ValueError says what is wrong with it."""
    if kind == "record":
        return record_from_payload(payload)
    connector = connector_for(connector_name)
    parse = getattr(connector, "parse_item", None)
    if parse is None:
        raise ValueError(f"kết nối {connector_name} không có trong cấu hình hoặc không đọc lại "
                         "được mục này; nhờ quản trị viên kiểm tra cấu hình")
    return parse(payload)


def open_item(session: Session, item_id: int) -> QuarantinedRecord:
    """The item, if it exists and is still open; else QuarantineError."""
    row = session.get(QuarantinedRecord, item_id)
    if row is None:
        raise QuarantineError(f"không có mục cách ly số {item_id}")
    if row.state != OPEN:
        raise QuarantineError(f"mục cách ly số {item_id} không còn chờ xử lý "
                              f"({STATE_LABELS.get(row.state, row.state).lower()})")
    return row


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Status | Channel | LimitUnit):
        return value.value
    return str(value)


def _named(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return f"«{label}» ({name})" if label else f"«{name}»"


def _member(enum: Any, value: Any, name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        codes = ", ".join(str(m.value) for m in enum)
        raise ValueError(f"{_named(name)}: {value!r} không phải mã hợp lệ ({codes})") from None


def _instant(text: Any, name: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ValueError(f"{_named(name)}: «{text}» không phải ngày giờ ISO 8601 kèm múi giờ "
                         "(vd. 2026-03-02T09:00:00+07:00)")
    return value
