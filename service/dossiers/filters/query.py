"""The SQL of a dossier list: one select from validated parameters and a scope."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from service.dossiers.classes import class_condition
from service.dossiers.filters.params import (
    EVERYTHING,
    DossierQuery,
    Scope,
    sort_column,
)
from service.dossiers.search.keys import receiver_key
from service.dossiers.search.tiers import midnight, search_tiers
from service.models import Dossier, Procedure, Unit
from service.models.portal import PortalSync, SyncState


def ranked_queries(session: Session, params: DossierQuery, now: dt.datetime, timezone: str,
                   scope: Scope = EVERYTHING, *, counting: bool = False
                   ) -> list[Select[tuple[Dossier]]]:
    """One select per rank of the search, best first (one select when nothing is searched).

    Each rank's form is chosen by how common its match is; `counting` takes the seek forms,
    as a count needs no order to walk.
    """
    if not params.q:
        return [dossier_query(params, now, timezone, scope)]
    tiers = search_tiers(params.q, scope.personal, ZoneInfo(timezone))
    return [dossier_query(params, now, timezone, scope,
                          tier.seek if counting else tier.choose(session)) for tier in tiers]


def dossier_query(params: DossierQuery, now: dt.datetime, timezone: str,
                  scope: Scope = EVERYTHING, match: ColumnElement[bool] | None = None
                  ) -> Select[tuple[Dossier]]:
    """Select the dossiers matching the filters, within the scope, in the chosen order.

    The search text is left to `match` (one rank of `ranked_queries`). Deadline classes are
    judged at `now` from the indexed due and near instants, so the list agrees with the
    clock even between two deadline scans.
    """
    query = scope.apply(select(Dossier))
    for condition in _conditions(params, now, ZoneInfo(timezone)):
        query = query.where(condition)
    if match is not None:
        query = query.where(match)
    if params.sync_state is not None:
        query = _sync_filter(query, params.sync_state)
    return query.order_by(*list_order(params.sort))


def list_order(sort: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The ORDER BY of a list sorted by `sort`: its column, then the id to break ties."""
    column, descending = sort_column(sort)
    return (column.desc(), Dossier.id.desc()) if descending else (column.asc(), Dossier.id.asc())


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
    if params.received_by:
        found.append(Dossier.receiver_key == receiver_key(params.received_by))
    if params.channel is not None:
        found.append(Dossier.channel == params.channel)
    if params.extended is not None:
        column = Dossier.extension_due_at
        found.append(column.is_not(None) if params.extended else column.is_(None))
    return found + _date_conditions(params, zone)


def _date_conditions(params: DossierQuery, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    """Received and due periods: local dates, the last one included."""
    found: list[ColumnElement[bool]] = []
    for column, first, last in ((Dossier.received_at, params.received_from, params.received_to),
                                (Dossier.due_at, params.due_from, params.due_to)):
        if first is not None:
            found.append(column >= midnight(first, zone))
        if last is not None:
            found.append(column < midnight(last + dt.timedelta(days=1), zone))
    return found


def _procedures(params: DossierQuery) -> Select[tuple[int]]:
    query = select(Procedure.id)
    if params.domain:
        query = query.where(or_(Procedure.domain_code == params.domain,
                                Procedure.domain_name == params.domain))
    if params.procedure:
        query = query.where(Procedure.code == params.procedure)
    return query


def _sync_filter(query: Select[Any], state: str) -> Select[Any]:
    """Restrict to a portal sync state of the mirror; no mirror row means pending."""
    sync = PortalSync
    chosen = select(sync.dossier_id).where(sync.state == SyncState(state))
    if state == "pending":
        return query.where(or_(Dossier.id.in_(chosen),
                               Dossier.id.not_in(select(sync.dossier_id))))
    return query.where(Dossier.id.in_(chosen))
