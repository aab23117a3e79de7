"""The record of alerts and their deliveries, as the alerts log, the dossier page and the
complaint page show it, with the reason each unsent one is waiting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from service.alerts.pending import NO_CHANNEL, pending_reason
from service.models import Alert, AlertDelivery, Complaint, Dossier, Unit
from service.models.alerts import AlertKind, DeliveryState

ROLE_LABELS = {"clerk": "cán bộ tiếp nhận", "department": "đầu mối cơ quan giải quyết",
               "head": "lãnh đạo cơ quan giải quyết", "vice_chairman": "Phó Chủ tịch phụ trách"}
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def alert_label(kind: AlertKind, level: int) -> str:
    """An alert's kind as clerks read it, with the escalation level."""
    return f"{kind.label} (báo cáo lãnh đạo)" if level == 2 else kind.label


@dataclass(frozen=True)
class DeliveryRecord:
    """One channel of one alert."""

    channel: str
    state: DeliveryState
    attempts: int
    sent_at: dt.datetime | None
    last_error: str | None
    # Why it is still pending (None once sent, failed or cancelled).
    reason: str | None = None


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
        return alert_label(self.kind, self.level)

    def __str__(self) -> str:
        zone = ZoneInfo(self.zone)
        when = self.created_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
        role = ROLE_LABELS.get(self.recipient_role, self.recipient_role)
        states = ", ".join(f"{d.channel}: {d.state.label}"
                           + (f" ({d.reason})" if d.reason else "") for d in self.deliveries)
        tail = (f"đã hủy ({self.cancel_reason})" if self.cancel_reason
                else states or f"chưa gửi ({NO_CHANNEL})")
        return f"{when} · {self.label} → {self.recipient_name} ({role}) · {tail}"


def _records(session: Session, query: object, zone: str, now: dt.datetime | None = None,
             active: Collection[str] = ()) -> list[AlertRecord]:
    """The alerts the query selects (Alert, subject code) with their deliveries; with `now`,
    each pending delivery says why it waits."""
    rows = session.execute(query).all()  # type: ignore[call-overload]
    by_alert: dict[int, list[DeliveryRecord]] = {row.Alert.id: [] for row in rows}
    tz = ZoneInfo(zone)
    for d in session.scalars(select(AlertDelivery).where(
            AlertDelivery.alert_id.in_(list(by_alert))).order_by(AlertDelivery.channel)):
        reason = None if now is None else pending_reason(
            d.state, d.channel, d.attempts, d.next_attempt_at, d.claimed_until, d.last_error,
            now, active, tz)
        by_alert[d.alert_id].append(DeliveryRecord(d.channel, d.state, d.attempts, d.sent_at,
                                                   d.last_error, reason))
    return [AlertRecord(
        id=a.id, dossier_code=code, kind=a.kind, level=a.level, recipient=a.recipient,
        recipient_name=a.recipient_name, recipient_role=a.recipient_role, due_at=a.due_at,
        created_at=a.created_at, send_after=a.send_after, cancel_reason=a.cancel_reason,
        deliveries=tuple(by_alert[a.id]), zone=zone) for a, code in rows]


def alerts_for_dossier(session: Session, dossier_id: int, zone: str = DEFAULT_ZONE,
                       now: dt.datetime | None = None,
                       active: Collection[str] = ()) -> list[AlertRecord]:
    """Every alert raised about one dossier, newest first (with `now`: why unsent ones wait)."""
    query = (select(Alert, Dossier.code).join(Dossier, Dossier.id == Alert.dossier_id)
             .where(Alert.dossier_id == dossier_id).order_by(Alert.created_at.desc(),
                                                             Alert.id.desc()))
    return _records(session, query, zone, now, active)


def alerts_for_complaint(session: Session, complaint_id: int, zone: str = DEFAULT_ZONE,
                         now: dt.datetime | None = None,
                         active: Collection[str] = ()) -> list[AlertRecord]:
    """Every alert raised about one complaint, newest first (with `now`: why unsent ones
    wait)."""
    query = (select(Alert, Complaint.code).join(Complaint, Complaint.id == Alert.complaint_id)
             .where(Alert.complaint_id == complaint_id)
             .order_by(Alert.created_at.desc(), Alert.id.desc()))
    return _records(session, query, zone, now, active)


def _with_code() -> Select[tuple[Alert, str]]:
    """Alerts with the code of their dossier or complaint."""
    return (select(Alert, func.coalesce(Dossier.code, Complaint.code).label("code"))
            .outerjoin(Dossier, Dossier.id == Alert.dossier_id)
            .outerjoin(Complaint, Complaint.id == Alert.complaint_id))


def recent_alerts(session: Session, limit: int = 200,
                  zone: str = DEFAULT_ZONE) -> list[AlertRecord]:
    """The latest alerts of every dossier and complaint, newest first."""
    return _records(session, _with_code().order_by(Alert.id.desc()).limit(limit), zone)


# What the log can be filtered by, as the page offers it.
LOG_STATES = {"pending": "Chờ gửi", "sent": "Đã gửi", "failed": "Gửi không thành công",
          "cancelled": "Đã hủy", "none": "Không có kênh gửi"}


@dataclass(frozen=True)
class LogFilter:
    """The alerts log's filters; every field optional."""

    kind: AlertKind | None = None
    state: str | None = None
    recipient: str | None = None
    code: str | None = None
    first: dt.date | None = None
    last: dt.date | None = None


@dataclass
class LogPage:
    """One page of the alerts log, newest first, and the id the next page starts before."""

    records: list[AlertRecord] = field(default_factory=list)
    next_before: int | None = None


def _has(state: DeliveryState) -> ColumnElement[bool]:
    return exists().where(AlertDelivery.alert_id == Alert.id, AlertDelivery.state == state)


def _state_condition(state: str) -> ColumnElement[bool]:
    """SQL for one of LOG_STATES."""
    if state == "none":
        return not_(exists().where(AlertDelivery.alert_id == Alert.id))
    if state == "cancelled":
        return or_(Alert.cancelled_at.is_not(None), _has(DeliveryState.CANCELLED))
    if state == "pending":
        return and_(Alert.cancelled_at.is_(None), _has(DeliveryState.PENDING))
    return _has(DeliveryState.SENT if state == "sent" else DeliveryState.FAILED)


def alert_log(session: Session, wanted: LogFilter, now: dt.datetime, active: Collection[str],
              before: int | None = None, size: int = 50,
              zone: str = DEFAULT_ZONE, within: ColumnElement[bool] | None = None) -> LogPage:
    """A page of the alerts log matching the filters, by id before `before` (keyset), and
    `within` a user's scope (service.users.scope.alert_condition)."""
    query = _with_code()
    if within is not None:
        query = query.where(within)
    if wanted.kind is not None:
        query = query.where(Alert.kind == wanted.kind)
    if wanted.state:
        query = query.where(_state_condition(wanted.state))
    if wanted.recipient:
        query = query.where(func.lower(Alert.recipient_name).contains(wanted.recipient.lower()))
    if wanted.code:
        query = query.where(func.coalesce(Dossier.code, Complaint.code).contains(
            wanted.code.strip().upper()))
    tz = ZoneInfo(zone)
    if wanted.first:
        query = query.where(Alert.created_at >= dt.datetime.combine(wanted.first, dt.time(),
                                                                    tz))
    if wanted.last:
        end = dt.datetime.combine(wanted.last + dt.timedelta(days=1), dt.time(), tz)
        query = query.where(Alert.created_at < end)
    if before is not None:
        query = query.where(Alert.id < before)
    records = _records(session, query.order_by(Alert.id.desc()).limit(size + 1), zone, now,
                       active)
    more = len(records) > size
    return LogPage(records[:size], records[size - 1].id if more else None)


def alert_lines(session: Session, limit: int,
                within: ColumnElement[bool] | None = None) -> Iterator[Row[Any]]:
    """Every alert once per delivery (once if none yet), newest first, streamed in batches;
    `within` a user's scope when given."""
    # Complaint alerts have no dossier: their code and unit come from the complaint.
    code = func.coalesce(Dossier.code, Complaint.code).label("code")
    query = (select(Alert.created_at, code, Unit.name.label("unit_name"), Alert.kind,
                    Alert.level, Alert.recipient_name, Alert.recipient_role, Alert.due_at,
                    Alert.cancel_reason, AlertDelivery.channel, AlertDelivery.state,
                    AlertDelivery.attempts, AlertDelivery.sent_at, AlertDelivery.last_error)
             .outerjoin(Dossier, Dossier.id == Alert.dossier_id)
             .outerjoin(Complaint, Complaint.id == Alert.complaint_id)
             .outerjoin(Unit, Unit.id == func.coalesce(Dossier.unit_id, Complaint.unit_id))
             .outerjoin(AlertDelivery, AlertDelivery.alert_id == Alert.id)
             .order_by(Alert.id.desc(), AlertDelivery.channel).limit(limit))
    if within is not None:
        query = query.where(within)
    return iter(session.execute(query.execution_options(yield_per=2000)))
