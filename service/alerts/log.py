"""The record of alerts and their deliveries, as the dashboard and the dossier page show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Alert, AlertDelivery, Complaint, Dossier
from service.models.alerts import AlertKind, DeliveryState

ROLE_LABELS = {"clerk": "cán bộ tiếp nhận", "department": "đầu mối cơ quan giải quyết",
               "head": "lãnh đạo cơ quan giải quyết", "vice_chairman": "Phó Chủ tịch phụ trách"}
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class DeliveryRecord:
    """One channel of one alert."""

    channel: str
    state: DeliveryState
    attempts: int
    sent_at: dt.datetime | None
    last_error: str | None


@dataclass(frozen=True)
class AlertRecord:
    """One alert with its deliveries; str() reads as one Vietnamese line."""

    id: int
    dossier_code: str
    kind: AlertKind
    level: int
    recipient: str
    recipient_name: str
    recipient_role: str
    due_at: dt.datetime
    created_at: dt.datetime
    send_after: dt.datetime
    cancel_reason: str | None
    deliveries: tuple[DeliveryRecord, ...]
    zone: str = DEFAULT_ZONE

    @property
    def label(self) -> str:
        """The kind as clerks read it, with the escalation level."""
        return f"{self.kind.label} (báo cáo lãnh đạo)" if self.level == 2 else self.kind.label

    def __str__(self) -> str:
        zone = ZoneInfo(self.zone)
        when = self.created_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
        role = ROLE_LABELS.get(self.recipient_role, self.recipient_role)
        states = ", ".join(f"{d.channel}: {d.state.label}" for d in self.deliveries)
        tail = f"đã hủy ({self.cancel_reason})" if self.cancel_reason else states or "chưa gửi"
        return f"{when} · {self.label} → {self.recipient_name} ({role}) · {tail}"


def _records(session: Session, query: object, zone: str) -> list[AlertRecord]:
    rows = session.execute(query).all()  # type: ignore[call-overload]
    by_alert: dict[int, list[DeliveryRecord]] = {row.Alert.id: [] for row in rows}
    for delivery in session.scalars(select(AlertDelivery).where(
            AlertDelivery.alert_id.in_(list(by_alert))).order_by(AlertDelivery.channel)):
        by_alert[delivery.alert_id].append(DeliveryRecord(
            delivery.channel, delivery.state, delivery.attempts, delivery.sent_at,
            delivery.last_error))
    return [AlertRecord(
        id=a.id, dossier_code=code, kind=a.kind, level=a.level, recipient=a.recipient,
        recipient_name=a.recipient_name, recipient_role=a.recipient_role, due_at=a.due_at,
        created_at=a.created_at, send_after=a.send_after, cancel_reason=a.cancel_reason,
        deliveries=tuple(by_alert[a.id]), zone=zone) for a, code in rows]


def alerts_for_dossier(session: Session, dossier_id: int,
                       zone: str = DEFAULT_ZONE) -> list[AlertRecord]:
    """Every alert raised about one dossier, newest first."""
    query = (select(Alert, Dossier.code).join(Dossier, Dossier.id == Alert.dossier_id)
             .where(Alert.dossier_id == dossier_id).order_by(Alert.created_at.desc(),
                                                             Alert.id.desc()))
    return _records(session, query, zone)


def alerts_for_complaint(session: Session, complaint_id: int,
                         zone: str = DEFAULT_ZONE) -> list[AlertRecord]:
    """Every alert raised about one complaint, newest first."""
    query = (select(Alert, Complaint.code).join(Complaint, Complaint.id == Alert.complaint_id)
             .where(Alert.complaint_id == complaint_id)
             .order_by(Alert.created_at.desc(), Alert.id.desc()))
    return _records(session, query, zone)


def recent_alerts(session: Session, limit: int = 200,
                  zone: str = DEFAULT_ZONE) -> list[AlertRecord]:
    """The latest alerts of every dossier and complaint, newest first."""
    query = (select(Alert, func.coalesce(Dossier.code, Complaint.code))
             .outerjoin(Dossier, Dossier.id == Alert.dossier_id)
             .outerjoin(Complaint, Complaint.id == Alert.complaint_id)
             .order_by(Alert.id.desc()).limit(limit))
    return _records(session, query, zone)
