"""Retention: old operational rows pruned except what later runs read; old applicants masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import (
    Alert,
    AlertDelivery,
    AlertMessage,
    ConnectorRun,
    Dossier,
    QuarantinedRecord,
)
from service.models.alerts import AlertKind, DeliveryState, MessageKind
from service.models.portal import PortalOutbox, PortalSyncRun
from service.models.ratings import CitizenRating
from service.retention import RetentionOptions, apply_retention
from service.vocabulary import Outcome, Status

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
OPTIONS = RetentionOptions(outbox_days=90, runs_days=180, alerts_days=365,
                           personal_data_years=5)


def ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def alert_on(session: Session, dossier: Dossier, days: int) -> None:
    message = AlertMessage(channel="webhook", recipient="zalo", kind=MessageKind.SINGLE,
                           subject="Hồ sơ quá hạn", started_at=ago(days), sent_at=ago(days))
    alert = Alert(dossier_id=dossier.id, kind=AlertKind.OVERDUE, level=1, recipient="zalo",
                  recipient_name="Nhóm Zalo xã", recipient_role="clerk", due_at=ago(days + 1),
                  created_at=ago(days), send_after=ago(days))
    session.add_all([message, alert])
    session.flush()
    session.add(AlertDelivery(alert_id=alert.id, channel="webhook", state=DeliveryState.SENT,
                              attempts=1, next_attempt_at=ago(days), sent_at=ago(days),
                              message_id=message.id))


def history(session: Session, make_dossier: Callable[..., Dossier]) -> dict[str, Any]:
    """Six years of a commune, in miniature."""
    old = make_dossier(is_open=False, status=Status.RETURNED, outcome=Outcome.ON_TIME,
                       finished_at=ago(6 * 365), applicant_email="binh@example.vn",
                       summary="Xác nhận tình trạng hôn nhân cho ông Nguyễn Văn Bình")
    recent = make_dossier(is_open=False, status=Status.RETURNED, finished_at=ago(300))
    running = make_dossier()
    session.add(CitizenRating(dossier_id=old.id, score=5, comment="Chị Lan rất nhiệt tình",
                              created_at=ago(6 * 365), updated_at=ago(6 * 365)))
    alert_on(session, old, days=2 * 365)
    alert_on(session, running, days=2 * 365)
    for days in (400, 300):  # the second is the connector's newest run: its cursor source
        session.add(ConnectorRun(connector="sim", started_at=ago(days), finished_at=ago(days)))
    for days in (400, 300, 10):
        session.add(PortalOutbox(dossier_code=old.code, service="DongBoHoSoMC", madonvi="x",
                                 body={}, recorded_at=ago(days)))
        session.add(PortalSyncRun(kind="sync", mode="record", started_at=ago(days),
                                  finished_at=ago(days)))
    session.add(QuarantinedRecord(connector="sim", item_key="k", kind="record", payload={},
                                  reason="thiếu mã", state="resolved", first_seen_at=ago(400),
                                  last_seen_at=ago(400), resolved_at=ago(400)))
    session.commit()
    return {"old": old.id, "recent": recent.id, "updated": old.updated_at}


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_retention_prunes_old_rows_and_masks_long_finished_applicants(
        session: Session, make_dossier: Callable[..., Dossier]) -> None:
    ids = history(session, make_dossier)
    report = apply_retention(session, NOW, OPTIONS)
    session.commit()
    assert report.removed == {
        "portal_outbox": 2, "connector_run": 1, "portal_sync_run": 2, "quarantined_record": 1,
        "alert": 1, "alert_delivery": 1, "alert_digest": 0, "alert_message": 1}
    assert report.masked == 1
    session.expire_all()
    old, recent = session.get_one(Dossier, ids["old"]), session.get_one(Dossier, ids["recent"])
    assert (old.applicant_name, old.applicant_id_no, old.applicant_phone,
            old.applicant_email, old.summary) == ("Nguyễn V. B.", None, None, None, None)
    assert (old.outcome, old.status, old.updated_at) == (
        Outcome.ON_TIME, Status.RETURNED, ids["updated"])
    assert recent.applicant_name == "Nguyễn Văn Bình" and recent.applicant_phone
    assert session.scalar(select(CitizenRating.comment)) is None
    assert session.scalar(select(CitizenRating.score)) == 5
    assert (count(session, Alert), count(session, AlertDelivery)) == (1, 1)
    again = apply_retention(session, NOW, OPTIONS)
    assert again.masked == 0 and not any(again.removed.values())
