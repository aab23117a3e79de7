"""Dossier list filters: validated parameters to one SQLAlchemy select, with keyset pages.

The clerks' list page, its XLSX export and the REST API all call `dossier_query` or
`dossier_page`, so a filter means the same thing everywhere.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import importlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, post_load, validate
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session, joinedload

from service.models import Dossier, Procedure, Unit
from service.status import Channel, DeadlineClass, Outcome, Status

PAUSED = (Status.WAITING_SUPPLEMENT, Status.WAITING_PAYMENT)
SORTS = {"received": Dossier.received_at, "due": Dossier.due_at, "code": Dossier.code,
         "updated": Dossier.updated_at}
SORT_CHOICES = [*SORTS, *(f"-{name}" for name in SORTS)]
MAX_LIMIT = 500
SYNC_STATES = ("pending", "synced", "failed", "not_required")


@dataclass(frozen=True)
class Scope:
    """The dossiers a caller may see; None means no restriction on that axis."""

    unit_ids: frozenset[int] | None = None
    handler: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        """Restrict a select over Dossier to this scope."""
        if self.unit_ids is not None:
            query = query.where(Dossier.unit_id.in_(sorted(self.unit_ids)))
        if self.handler is not None:
            query = query.where(Dossier.handler == self.handler)
        return query

    def allows(self, dossier: Dossier) -> bool:
        """Whether one dossier lies inside the scope."""
        return ((self.unit_ids is None or dossier.unit_id in self.unit_ids)
                and (self.handler is None or dossier.handler == self.handler))


EVERYTHING = Scope()


@dataclass(frozen=True)
class DossierQuery:
    """What a list of dossiers is filtered and sorted by; every field optional."""

    status: tuple[Status, ...] = ()
    deadline_class: tuple[DeadlineClass, ...] = ()
    outcome: tuple[Outcome, ...] = ()
    is_open: bool | None = None
    unit: str | None = None
    domain: str | None = None
    procedure: str | None = None
    handler: str | None = None
    channel: Channel | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    extended: bool | None = None
    sync_state: str | None = None
    q: str | None = None
    sort: str = "-received"
    limit: int = 50
    after: str | None = None


class _Coded(fields.Field):
    """A labelled enum given by its code ("4", "overdue")."""

    def __init__(self, enum_class: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enum_class = enum_class

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        for member in self.enum_class:
            if str(member.value) == str(value).strip():
                return member
        codes = ", ".join(str(m.value) for m in self.enum_class)
        raise ValidationError(f"expected one of {codes}")


class DossierQuerySchema(Schema):
    """Validate list parameters (query string or JSON) into a DossierQuery."""

    status = fields.List(_Coded(Status), load_default=list)
    deadline_class = fields.List(_Coded(DeadlineClass), load_default=list, data_key="class")
    outcome = fields.List(_Coded(Outcome), load_default=list)
    is_open = fields.Boolean(load_default=None, allow_none=True, data_key="open")
    unit = fields.String(load_default=None, validate=validate.Length(max=64))
    domain = fields.String(load_default=None, validate=validate.Length(max=255))
    procedure = fields.String(load_default=None, validate=validate.Length(max=64))
    handler = fields.String(load_default=None, validate=validate.Length(max=255))
    channel = _Coded(Channel, load_default=None)
    received_from = fields.Date(load_default=None)
    received_to = fields.Date(load_default=None)
    due_from = fields.Date(load_default=None)
    due_to = fields.Date(load_default=None)
    extended = fields.Boolean(load_default=None, allow_none=True)
    sync_state = fields.String(load_default=None, validate=validate.OneOf(SYNC_STATES))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    sort = fields.String(load_default="-received", validate=validate.OneOf(SORT_CHOICES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    after = fields.String(load_default=None, validate=validate.Length(max=200))

    @post_load
    def build(self, data: dict[str, Any], **kwargs: Any) -> DossierQuery:
        """Turn the validated values into a DossierQuery."""
        for name in ("status", "deadline_class", "outcome"):
            data[name] = tuple(dict.fromkeys(data[name]))
        if data["q"] is not None:
            data["q"] = data["q"].strip() or None
        if data["after"] is not None:
            decode_cursor(data["after"])
        return DossierQuery(**data)


LIST_FIELDS = ("status", "class", "outcome")


def load_query(args: Mapping[str, Any]) -> DossierQuery:
    """Validate request arguments (a MultiDict or a dict); raise ValidationError naming fields.

    Empty values, as a form's "all" option sends them, count as absent.
    """
    raw: dict[str, Any] = {}
    for key in args:
        values = args.getlist(key) if hasattr(args, "getlist") else args[key]
        values = values if isinstance(values, list | tuple) else [values]
        values = [v for v in values if v not in ("", None)]
        if not values:
            continue
        raw[key] = values if key in LIST_FIELDS else values[-1]
    return DossierQuerySchema().load(raw)


def dossier_query(params: DossierQuery, now: dt.datetime, timezone: str,
                  scope: Scope = EVERYTHING) -> Select[tuple[Dossier]]:
    """Select the dossiers matching the filters, within the scope, in the chosen order.

    Deadline classes are judged at `now` from the indexed due and near instants, so the list
    agrees with the clock even between two deadline scans.
    """
    query = scope.apply(select(Dossier))
    for condition in _conditions(params, now, ZoneInfo(timezone)):
        query = query.where(condition)
    if params.sync_state is not None:
        query = _sync_filter(query, params.sync_state)
    column, descending = _sort(params.sort)
    order = (column.desc(), Dossier.id.desc()) if descending else (column.asc(), Dossier.id.asc())
    return query.order_by(*order)


def _conditions(params: DossierQuery, now: dt.datetime,
                zone: ZoneInfo) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if params.status:
        found.append(Dossier.status.in_(params.status))
    if params.deadline_class:
        found.append(or_(*(class_condition(c, now) for c in params.deadline_class)))
    if params.outcome:
        found.append(Dossier.outcome.in_(params.outcome))
    if params.is_open is not None:
        found.append(Dossier.is_open == (true() if params.is_open else false()))
    if params.unit:
        found.append(Dossier.unit_id.in_(select(Unit.id).where(Unit.code == params.unit)))
    if params.domain or params.procedure:
        found.append(Dossier.procedure_id.in_(_procedures(params)))
    if params.handler:
        found.append(Dossier.handler == params.handler)
    if params.channel is not None:
        found.append(Dossier.channel == params.channel)
    if params.extended is not None:
        column = Dossier.extension_due_at
        found.append(column.is_not(None) if params.extended else column.is_(None))
    if params.q:
        found.append(_text_condition(params.q, zone))
    return found + _date_conditions(params, zone)


def _date_conditions(params: DossierQuery, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    """Received and due periods: local dates, the last one included."""
    found: list[ColumnElement[bool]] = []
    for column, first, last in ((Dossier.received_at, params.received_from, params.received_to),
                                (Dossier.due_at, params.due_from, params.due_to)):
        if first is not None:
            found.append(column >= _midnight(first, zone))
        if last is not None:
            found.append(column < _midnight(last + dt.timedelta(days=1), zone))
    return found


def _procedures(params: DossierQuery) -> Select[tuple[int]]:
    query = select(Procedure.id)
    if params.domain:
        query = query.where(or_(Procedure.domain_code == params.domain,
                                Procedure.domain_name == params.domain))
    if params.procedure:
        query = query.where(Procedure.code == params.procedure)
    return query


def class_condition(kind: DeadlineClass, now: dt.datetime) -> ColumnElement[bool]:
    """SQL for "open and in this deadline class at `now`" (paused = waiting for the applicant)."""
    # "is_open = 1" written as a literal so SQLite can use the partial index of open dossiers.
    if kind is DeadlineClass.PAUSED:
        return and_(Dossier.is_open == true(), Dossier.status.in_(PAUSED))
    running = and_(Dossier.is_open == true(), Dossier.status.not_in(PAUSED))
    if kind is DeadlineClass.OVERDUE:
        return and_(running, Dossier.due_at < now)
    if kind is DeadlineClass.NEAR:
        return and_(running, Dossier.near_at <= now, Dossier.due_at >= now)
    return and_(running, or_(Dossier.due_at.is_(None), Dossier.due_at >= now),
                or_(Dossier.near_at.is_(None), Dossier.near_at > now))


# A dossier code ends with the receipt date and the day's number: -YYMMDD-NNNN (rules.md §9).
CODE_TAIL = re.compile(r"(\d{6})-\d{1,7}$")
FULL_CODE = re.compile(r"^[0-9A-Za-z.]+-\d{6}-\d{1,7}$")


def _text_condition(text: str, zone: ZoneInfo) -> ColumnElement[bool]:
    """A code when the text holds a digit, otherwise the applicant's name.

    A whole code is looked up exactly; a tail such as 260302-0042 also narrows the receipt
    date to around the day it names, so neither needs a scan of every dossier.
    """
    if FULL_CODE.match(text):
        return Dossier.code.in_(sorted({text, text.upper()}))
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if not any(ch.isdigit() for ch in text):
        return Dossier.applicant_name.ilike(pattern, escape="\\")
    matched = Dossier.code.ilike(pattern, escape="\\")
    tail = CODE_TAIL.search(text)
    try:
        day = dt.datetime.strptime(tail.group(1), "%y%m%d").date() if tail else None
    except ValueError:
        day = None
    if day is None:
        return matched
    # Codes are given at receipt; a few days either side allow for time zones and late entry.
    return and_(matched, Dossier.received_at >= _midnight(day - dt.timedelta(days=3), zone),
                Dossier.received_at < _midnight(day + dt.timedelta(days=4), zone))


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _sort(sort: str) -> tuple[Any, bool]:
    return SORTS[sort.lstrip("-")], sort.startswith("-")


def _sync_filter(query: Select[Any], state: str) -> Select[Any]:
    """Restrict to a portal sync state of the mirror (issue 6); no mirror row means pending."""
    try:
        portal = importlib.import_module("service.models.portal")
    except ImportError:
        raise ValidationError({"sync_state": ["portal sync states are not available"]}) from None
    sync = portal.PortalSync
    chosen = select(sync.dossier_id).where(sync.state == portal.SyncState(state))
    if state == "pending":
        return query.where(or_(Dossier.id.in_(chosen),
                               Dossier.id.not_in(select(sync.dossier_id))))
    return query.where(Dossier.id.in_(chosen))


@dataclass
class DossierPage:
    """One page of a list and the cursor of the next page (None on the last page)."""

    rows: list[Dossier]
    next_cursor: str | None


def dossier_page(session: Session, params: DossierQuery, now: dt.datetime, timezone: str,
                 scope: Scope = EVERYTHING) -> DossierPage:
    """Load one page of matching dossiers after the cursor, with unit and procedure."""
    query = dossier_query(params, now, timezone, scope)
    if params.after:
        query = query.where(_after(params, session.get_bind().dialect.name))
    query = query.options(joinedload(Dossier.procedure), joinedload(Dossier.unit))
    rows = list(session.scalars(query.limit(params.limit + 1)))
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    cursor = encode_cursor(params.sort, rows[-1]) if more else None
    return DossierPage(rows=rows, next_cursor=cursor)


def count_capped(session: Session, query: Select[Any], cap: int = 1000) -> tuple[int, bool]:
    """Count a query's rows up to `cap` (exact counts at a million rows cost too much)."""
    inner = query.order_by(None).with_only_columns(Dossier.id).limit(cap + 1).subquery()
    total = session.scalar(select(func.count()).select_from(inner)) or 0
    return min(total, cap), total > cap


def encode_cursor(sort: str, row: Dossier) -> str:
    """The opaque position after `row` in a list sorted by `sort`."""
    value = getattr(row, SORTS[sort.lstrip("-")].key)
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).isoformat()
    raw = json.dumps([sort, value, row.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, Any, int]:
    """Read a cursor back; raise ValidationError when it was not made by encode_cursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if sort not in SORT_CHOICES or not isinstance(row_id, int):
            raise ValueError(sort)
        if value is not None and sort.lstrip("-") != "code":
            value = dt.datetime.fromisoformat(value)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ValidationError({"after": ["not a cursor of this list"]}) from None
    return sort, value, row_id


def _after(params: DossierQuery, dialect: str) -> ColumnElement[bool]:
    """Rows strictly after the cursor in (sort column, id) order; NULL due dates handled."""
    sort, value, row_id = decode_cursor(params.after or "")
    if sort != params.sort:
        raise ValidationError({"after": ["the cursor belongs to another sort order"]})
    column, descending = _sort(sort)
    # SQLite sorts NULL first in ascending order, PostgreSQL last; follow the database.
    nulls_low = dialect == "sqlite"
    nulls_next = nulls_low == descending
    if value is None:
        beyond = Dossier.id < row_id if descending else Dossier.id > row_id
        same = and_(column.is_(None), beyond)
        return same if nulls_next else or_(same, column.is_not(None))
    key, mark = tuple_(column, Dossier.id), tuple_(literal(value, column.type), row_id)
    condition: ColumnElement[bool] = key < mark if descending else key > mark
    return or_(condition, column.is_(None)) if nulls_next else condition
