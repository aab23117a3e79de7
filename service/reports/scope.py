"""The SQL pieces every report shares: which dossiers a unit owns, when one finished, its due."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from service.models import Dossier, Unit
from service.vocabulary import Status

# Registered online but never accepted, or refused at the counter: the clock never started.
NEVER_RECEIVED = (Status.REGISTERED, Status.NOT_ACCEPTED)
PAUSED = (Status.WAITING_SUPPLEMENT, Status.WAITING_PAYMENT)


class ReportError(ValueError):
    """A report that cannot be made as asked (unknown unit, bad period)."""


def unit_tree(session: Session, code: str) -> tuple[Unit, list[int]]:
    """The unit with this code and the ids of it and every unit below it."""
    units = session.execute(select(Unit.id, Unit.code, Unit.parent_id)).all()
    root = next((u for u in units if u.code == code), None)
    if root is None:
        raise ReportError(f"unknown unit {code}")
    ids, frontier = [root.id], [root.id]
    while frontier:
        frontier = [u.id for u in units if u.parent_id in frontier and u.id not in ids]
        ids.extend(frontier)
    unit = session.get(Unit, root.id)
    assert unit is not None
    return unit, ids


def finish_column(unfinished: Any = None) -> ColumnElement[Any]:
    """The finishing instant (docs/domain.md, Statuses); a closed dossier without one finished
    when written.

    With `unfinished`, an open dossier gets that instant instead of NULL, which lets a report
    compare the expression once rather than test it for NULL first.
    """
    parts = [Dossier.finished_at, Dossier.returned_at, Dossier.stopped_at,
             case((Dossier.is_open.is_(False), Dossier.updated_at))]
    if unfinished is not None:
        parts.append(literal(unfinished, Dossier.finished_at.type))
    return func.coalesce(*parts)


def received_before(unit_ids: list[int], end: Any) -> ColumnElement[bool]:
    """Dossiers of the units received (and accepted) before `end`."""
    return and_(Dossier.unit_id.in_(unit_ids), Dossier.received_at < end,
                Dossier.status.not_in(NEVER_RECEIVED))


def open_at(start: Any, end: Any) -> ColumnElement[bool]:
    """Dossiers not finished before `start` (`end` stands for "not finished", after start)."""
    return finish_column(end) >= start
