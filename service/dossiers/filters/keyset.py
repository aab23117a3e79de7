"""Keyset pages of a dossier list: (sort column, id) cursors that stay fast at any depth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import (
    ColumnElement,
    Row,
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
from service.dossiers.filters.query import list_order, ranked_queries
from service.models import Dossier, Procedure, Unit

# Exact counts of a million rows cost more than the page itself: lists count up to a cap.
LIST_COUNT_CAP = 1000
# A search counts each match in an index by itself (its ids come from a range of names, not in
# the list's order): 1 000 of a common later word cost a head's cold search 0.2 s on SQLite
# and 0.65 s on PostgreSQL at 1 000 000 dossiers (bench/search.py); past 200 matches a clerk
# narrows the search rather than reads on.
SEARCH_COUNT_CAP = 200


@dataclass
class DossierPage:
    """One page of a list and the cursor of the next page (None on the last page)."""

    rows: list[Dossier]
    next_cursor: str | None


def dossier_page(session: Session, params: DossierQuery, now: dt.datetime, timezone: str,
                 scope: Scope = EVERYTHING) -> DossierPage:
    """Load one page of matching dossiers after the cursor, with unit and procedure.

    A search's ranks follow each other: the page takes what is left of the cursor's rank, then
    the next ranks from their start, until it is full.
    """
    queries = ranked_queries(session, params, now, timezone, scope)
    first, after = 0, None
    if params.after:
        first, after = _after(params, session.get_bind().dialect.name, len(queries))
    found: list[tuple[int, Dossier]] = []
    for rank in range(first, len(queries)):
        query = queries[rank] if rank != first or after is None else queries[rank].where(after)
        wanted = params.limit + 1 - len(found)
        found += [(rank, row) for row in session.scalars(_rows(query, params.sort, wanted))]
        if len(found) > params.limit:
            break
    more = len(found) > params.limit
    found = found[: params.limit]
    cursor = encode_cursor(params.sort, found[-1][1], found[-1][0]) if more else None
    return DossierPage(rows=[row for _, row in found], next_cursor=cursor)


def _rows(query: Select[Any], sort: str, limit: int) -> Select[tuple[Dossier]]:
    """The first `limit` rows of a list query, with unit and procedure.

    The ids are chosen first, by themselves, and only the chosen rows are read whole: a
    covering index then answers the choice (the name search's indexes carry the scope and
    the list's order), where sorting whole rows first read every candidate row.
    """
    chosen = query.with_only_columns(Dossier.id).limit(limit)
    return (select(Dossier).where(Dossier.id.in_(chosen)).order_by(*list_order(sort))
            .options(joinedload(Dossier.procedure), joinedload(Dossier.unit)))


def matching_rows(session: Session, params: DossierQuery, now: dt.datetime, timezone: str,
                  scope: Scope, limit: int, columns: Sequence[Any]) -> Iterator[Row[Any]]:
    """The given columns (of the dossier, its procedure and unit) of every matching dossier up
    to `limit`, best rank first, streamed from the database in batches."""
    left = limit
    for query in ranked_queries(session, params, now, timezone, scope):
        query = (query.with_only_columns(*columns)
                 .join(Procedure, Procedure.id == Dossier.procedure_id)
                 .join(Unit, Unit.id == Dossier.unit_id))
        # Plain rows from the connection: the ORM's result handling doubles the CPU of a
        # 100 000-row export for nothing, as the columns hold no ORM objects.
        rows = session.connection().execute(query.limit(left).execution_options(yield_per=2000))
        for row in rows:
            yield row
            left -= 1
        if left <= 0:
            return


def count_matching(session: Session, params: DossierQuery, now: dt.datetime, timezone: str,
                   scope: Scope = EVERYTHING, cap: int | None = None) -> tuple[int, bool]:
    """Count matching dossiers over every rank up to `cap`; True when there are more.

    The cap defaults to LIST_COUNT_CAP, or SEARCH_COUNT_CAP for a search.
    """
    if cap is None:
        cap = SEARCH_COUNT_CAP if params.q else LIST_COUNT_CAP
    total = 0
    for query in ranked_queries(session, params, now, timezone, scope, counting=True):
        found, more = count_capped(session, query, cap - total)
        total += found
        if more:
            return total, True
    return total, False


def count_capped(session: Session, query: Select[Any], cap: int = 1000) -> tuple[int, bool]:
    """Count a query's rows up to `cap` (exact counts at a million rows cost too much)."""
    inner = query.order_by(None).with_only_columns(Dossier.id).limit(cap + 1).subquery()
    total = session.scalar(select(func.count()).select_from(inner)) or 0
    return min(total, cap), total > cap


def _after(params: DossierQuery, dialect: str, ranks: int) -> tuple[int, ColumnElement[bool]]:
    """The cursor's rank, and its rows strictly after it in (sort column, id) order."""
    sort, value, row_id, rank = decode_cursor(params.after or "")
    if sort != params.sort:
        raise ValidationError({"after": ["the cursor belongs to another sort order"]})
    if not 0 <= rank < ranks:
        raise ValidationError({"after": ["the cursor belongs to another search"]})
    return rank, _beyond(sort, value, row_id, dialect)


def _beyond(sort: str, value: Any, row_id: int, dialect: str) -> ColumnElement[bool]:
    """Rows strictly after (value, row_id) in (sort column, id) order; NULL due dates handled."""
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
