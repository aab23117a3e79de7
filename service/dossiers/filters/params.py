"""What a dossier list can be filtered and sorted by, validated; the scope; list cursors."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate
from sqlalchemy import (
    Select,
)

from service.formats import FIRST_DAY, LAST_DAY, OutOfRange, read_day
from service.models import Dossier
from service.vocabulary import Channel, DeadlineClass, Outcome, Status

PAUSED = (Status.WAITING_SUPPLEMENT, Status.WAITING_PAYMENT)
SORTS = {"received": Dossier.received_at, "due": Dossier.due_at, "code": Dossier.code,
         "updated": Dossier.updated_at}
SORT_CHOICES = [*SORTS, *(f"-{name}" for name in SORTS)]
MAX_LIMIT = 500
SYNC_STATES = ("pending", "synced", "failed", "not_required")
# Row ids are 64-bit signed integers on both databases; a larger one cannot even be bound.
MAX_ID = 2**63 - 1
# A search has at most a handful of ranks (service.dossiers.search.tiers).
MAX_RANK = 16


@dataclass(frozen=True)
class Scope:
    """The dossiers a caller may see; None means no restriction on that axis.

    `personal`: whether the caller may find dossiers by the applicant's name, phone or ID
    number (service.privacy decides who may).
    """

    unit_ids: frozenset[int] | None = None
    handler: str | None = None
    personal: bool = True

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
    received_by: str | None = None
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


class _Day(fields.Date):
    """A day as clerks type it (dd/mm/yyyy) or as links and the API carry it (yyyy-mm-dd)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        try:
            return read_day(str(value))
        except OutOfRange as exc:
            raise ValidationError(str(exc)) from None
        except ValueError:
            raise ValidationError("cần ngày dạng dd/mm/yyyy (hoặc yyyy-mm-dd)") from None


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
    received_by = fields.String(load_default=None, validate=validate.Length(max=255))
    channel = _Coded(Channel, load_default=None)
    received_from = _Day(load_default=None)
    received_to = _Day(load_default=None)
    due_from = _Day(load_default=None)
    due_to = _Day(load_default=None)
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



def encode_cursor(sort: str, row: Dossier, rank: int = 0) -> str:
    """The opaque position after `row`, found in the search's `rank`, in a list sorted by `sort`."""
    value = getattr(row, SORTS[sort.lstrip("-")].key)
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).isoformat()
    raw = json.dumps([sort, value, row.id, rank], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, Any, int, int]:
    """Read a cursor back (sort, value, id, rank); raise ValidationError if not one of ours.

    Everything is checked before any query: a forged cursor could otherwise carry an id no
    database integer holds, or a naive or out-of-range instant that fails only when bound.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort, value, row_id, rank = json.loads(base64.urlsafe_b64decode(padded))
        if sort not in SORT_CHOICES or not isinstance(row_id, int) or not isinstance(rank, int):
            raise ValueError(sort)
        if not (0 < row_id <= MAX_ID and 0 <= rank < MAX_RANK):
            raise ValueError(row_id)
        value = _cursor_value(sort, value)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ValidationError({"after": ["not a cursor of this list"]}) from None
    return sort, value, row_id, rank


def _cursor_value(sort: str, value: Any) -> Any:
    """The sort value of a cursor: a code, or an aware instant within the accepted days."""
    if value is None:
        return None
    if sort.lstrip("-") == "code":
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError(value)
        return value
    instant = dt.datetime.fromisoformat(value)
    if instant.utcoffset() is None or not FIRST_DAY <= instant.date() <= LAST_DAY:
        raise ValueError(value)
    return instant


def sort_column(sort: str) -> tuple[Any, bool]:
    return SORTS[sort.lstrip("-")], sort.startswith("-")
