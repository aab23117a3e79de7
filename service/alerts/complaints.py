"""Alerts about complaints (phản ánh, kiến nghị): raised from the scan's moves, sent like the rest.

A complaint alert is an `alert` row with `complaint_id` set: the same unique key per
(complaint, kind, level, recipient, due date), the same deliveries, retries and log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, literal, select
from sqlalchemy.orm import Session

from service.alerts.policy import AlertPolicy
from service.alerts.raising import RaiseReport, alert_row, store_alerts
from service.alerts.recipients import Directory, Party
from service.complaints import ComplaintMove
from service.models import Alert, AlertDelivery, Complaint, Dossier, Unit
from service.models.alerts import AlertKind
from service.models.scheduling import id_in
from service.vocabulary import DeadlineClass

KINDS = {DeadlineClass.NEAR: AlertKind.COMPLAINT_NEAR,
         DeadlineClass.OVERDUE: AlertKind.COMPLAINT_OVERDUE}


def raise_complaint_alerts(session: Session, moves: Sequence[ComplaintMove],
                           policy: AlertPolicy, directory: Directory, channels: Collection[str],
                           now: dt.datetime, report: RaiseReport | None = None) -> RaiseReport:
    """Create the alerts the complaints' moves into near and overdue call for, once each."""
    report = report if report is not None else RaiseReport()
    events = sorted({(m.complaint_id, KINDS[m.after]) for m in moves if m.after in KINDS},
                    key=lambda e: (e[0], e[1].value))
    facts = {row.id: row for row in session.execute(
        select(Complaint.id, Complaint.is_open, Complaint.due_at, Complaint.handler,
               Complaint.received_by, Unit.code.label("unit_code"))
        .join(Unit, Unit.id == Complaint.unit_id)
        .where(id_in(Complaint.id, [complaint_id for complaint_id, _ in events])))}
    rows = []
    for complaint_id, kind in events:
        fact = facts.get(complaint_id)
        if fact is None or not fact.is_open:
            continue
        found = directory.resolve(Party(fact.unit_code, fact.handler, fact.received_by),
                                  policy.roles(kind, 1))
        report.unrouted += not found
        rows.extend(alert_row({"complaint_id": complaint_id}, kind, 1, recipient.key,
                              recipient.name, role, fact.due_at, now, policy)
                    for recipient, role in found)
    store_alerts(session, rows, directory, channels, report)
    return report


@dataclass(frozen=True)
class ComplaintDelivery:
    """A claimed delivery of a complaint alert, with what its message and staleness need.

    Its fields carry the names of a dossier delivery row's, so messages are built the same way.
    """

    delivery_id: int
    channel: str
    alert_id: int
    kind: AlertKind
    level: int
    recipient: str
    alert_due: dt.datetime
    code: str
    procedure: str
    applicant_name: str
    handler: str | None
    received_at: dt.datetime
    due_at: dt.datetime
    status: Any
    deadline_class: DeadlineClass | None
    is_open: bool


def complaint_delivery_rows(session: Session, ids: list[int]) -> list[ComplaintDelivery]:
    """The claimed deliveries among ids that are about complaints."""
    about = case((Dossier.code.is_not(None),
                  literal("Phản ánh, kiến nghị về hồ sơ ") + Dossier.code),
                 else_=literal("Phản ánh, kiến nghị"))
    rows = session.execute(
        select(AlertDelivery.id, AlertDelivery.channel, Alert.id, Alert.kind, Alert.level,
               Alert.recipient, Alert.due_at, Complaint.code, about, Complaint.name,
               Complaint.handler, Complaint.submitted_at, Complaint.due_at, Complaint.status,
               Complaint.deadline_class, Complaint.is_open)
        .join(Alert, Alert.id == AlertDelivery.alert_id)
        .join(Complaint, Complaint.id == Alert.complaint_id)
        .outerjoin(Dossier, Dossier.id == Complaint.dossier_id)
        .where(id_in(AlertDelivery.id, ids)).order_by(Complaint.due_at, AlertDelivery.id))
    return [ComplaintDelivery(*row) for row in rows]


def complaint_stale_reason(row: Any) -> str | None:
    """Why an unsent complaint alert no longer needs sending (shown to clerks), or None."""
    if not row.is_open:
        return "Phản ánh, kiến nghị đã được trả lời hoặc kết thúc"
    if row.due_at != row.alert_due:
        return "Hạn trả lời đã thay đổi"
    if row.kind is AlertKind.COMPLAINT_NEAR and row.deadline_class is DeadlineClass.OVERDUE:
        return "Phản ánh, kiến nghị đã quá hạn trả lời"
    return None
