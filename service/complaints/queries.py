"""Which complaints a clerk sees, the list they work from, and the dossiers complained about."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, true
from sqlalchemy.orm import Session, joinedload

from service.complaints.policy import class_condition
from service.dossiers.filters import Scope
from service.models import Complaint, ComplaintStatus
from service.users.scope import complaint_condition
from service.vocabulary import DeadlineClass

PAGE_SIZE = 50


def complained_dossiers(at: dt.datetime | None = None) -> Select[tuple[int]]:
    """The ids of dossiers at least one complaint was sent about (by `at`), whatever became
    of it.

    For the Decision 766 satisfaction figure: a complaint about a dossier's handling counts
    against it even when answered, as the citizen was dissatisfied enough to write.
    """
    query = select(Complaint.dossier_id).where(Complaint.dossier_id.is_not(None))
    if at is not None:
        query = query.where(Complaint.submitted_at < at)
    return query.distinct()


def scoped(query: Select[Any], scope: Scope) -> Select[Any]:
    """Restrict a select over Complaint to the caller's units (and a head's handling body)."""
    return query.where(complaint_condition(scope))


def visible(complaint: Complaint | None, scope: Scope) -> bool:
    """Whether one complaint lies inside the scope."""
    return complaint is not None and (
        (scope.unit_ids is None or complaint.unit_id in scope.unit_ids)
        and (scope.handler is None or complaint.handler == scope.handler))


@dataclass(frozen=True)
class ComplaintFilter:
    """What the clerks' list shows: open ones (default), every one, or one status; a class."""

    state: str = "open"
    deadline: DeadlineClass | None = None
    handler: str | None = None
    code: str | None = None


def complaint_page(session: Session, scope: Scope, wanted: ComplaintFilter, now: dt.datetime,
                   page: int = 1) -> tuple[list[Complaint], bool]:
    """One page of the list and whether another follows; open ones by due date first."""
    query = scoped(select(Complaint).options(joinedload(Complaint.dossier)), scope)
    if wanted.state == "open":
        query = query.where(Complaint.is_open == true())
    elif wanted.state != "all":
        query = query.where(Complaint.status == ComplaintStatus(wanted.state))
    if wanted.deadline is not None:
        query = query.where(class_condition(wanted.deadline, now))
    if wanted.handler:
        query = query.where(Complaint.handler == wanted.handler)
    if wanted.code:
        query = query.where(Complaint.code.contains(wanted.code.strip().upper()))
    order = ((Complaint.due_at, Complaint.id) if wanted.state == "open"
             else (Complaint.submitted_at.desc(), Complaint.id.desc()))
    rows = list(session.scalars(query.order_by(*order).offset((page - 1) * PAGE_SIZE)
                                .limit(PAGE_SIZE + 1)).unique())
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
