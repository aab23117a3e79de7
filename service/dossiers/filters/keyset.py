"""Keyset pages of a dossier list: (sort column, id) cursors that stay fast at any depth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, joinedload

from service.dossiers.filters.params import (
    EVERYTHING,
    DossierQuery,
    Scope,
    decode_cursor,
    encode_cursor,
    sort_column,
)
from service.dossiers.filters.query import dossier_query
from service.models import Dossier


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


def _after(params: DossierQuery, dialect: str) -> ColumnElement[bool]:
    """Rows strictly after the cursor in (sort column, id) order; NULL due dates handled."""
    sort, value, row_id = decode_cursor(params.after or "")
    if sort != params.sort:
        raise ValidationError({"after": ["the cursor belongs to another sort order"]})
    column, descending = sort_column(sort)
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
