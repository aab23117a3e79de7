"""The SQL of a dossier list: one select from validated parameters and a scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    or_,
    select,
    true,
)

from service.dossiers.classes import class_condition
from service.dossiers.filters.params import (
    EVERYTHING,
    DossierQuery,
    Scope,
    sort_column,
)
from service.models import Dossier, Procedure, Unit
from service.models.portal import PortalSync, SyncState


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
    column, descending = sort_column(params.sort)
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


# A dossier code ends with the receipt date and the day's number: -YYMMDD-NNNN (the national
# dossier-code format).
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


def _sync_filter(query: Select[Any], state: str) -> Select[Any]:
    """Restrict to a portal sync state of the mirror; no mirror row means pending."""
    sync = PortalSync
    chosen = select(sync.dossier_id).where(sync.state == SyncState(state))
    if state == "pending":
        return query.where(or_(Dossier.id.in_(chosen),
                               Dossier.id.not_in(select(sync.dossier_id))))
    return query.where(Dossier.id.in_(chosen))
