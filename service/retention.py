"""Retention: prune operational history past its use, mask personal data of old dossiers.

Runs, outbox rows, alerts and their deliveries are working records: after [retention]'s days
they only grow the database. Whatever a later run still reads is kept: the newest run of each
connector and of each portal job (cursors and watermarks), the newest outbox row per dossier
and service (record mode answers TraCuuHoSo from it), and the alerts of open dossiers (their
unique rows stop an alert being raised twice).

Dossiers finished more than `personal_data_years` ago keep their counts, dates, status and
verdict (reports over past years stay right) but lose the applicant's identity: the name is
reduced to "Nguyễn V. B." and ID number, phone, e-mail, summary and rating comment are erased.
The update leaves `updated_at` alone so the portal mirror does not resend the masked record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, false, func, select, update
from sqlalchemy.orm import Session

from service.config.settings import Settings
from service.dossiers.views import mask_name
from service.models import (
    Alert,
    AlertDelivery,
    AlertDigest,
    AlertMessage,
    ConnectorCursor,
    ConnectorRun,
    Dossier,
    QuarantinedRecord,
)
from service.models.alerts import DeliveryState
from service.models.portal import PortalOutbox, PortalSyncRun
from service.models.ratings import CitizenRating
from service.models.scheduling import id_in

CHUNK = 500


@dataclass(frozen=True)
class RetentionOptions:
    """How long each kind of record is kept ([retention]); 0 keeps it forever."""

    outbox_days: int
    runs_days: int
    alerts_days: int
    personal_data_years: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionOptions:
        """Read [retention]."""
        section = settings.retention
        return cls(section.outbox_days, section.runs_days, section.alerts_days,
                   section.personal_data_years)


@dataclass
class RetentionReport:
    """Rows removed per table, and dossiers whose personal data was masked."""

    removed: dict[str, int] = field(default_factory=dict)
    masked: int = 0

    def describe(self) -> str:
        """One line for the CLI and the log."""
        parts = [f"{name} {count}" for name, count in sorted(self.removed.items()) if count]
        return (f"removed: {', '.join(parts) or 'nothing'}; "
                f"personal data masked on {self.masked} dossier(s)")


def apply_retention(session: Session, now: dt.datetime, options: RetentionOptions
                    ) -> RetentionReport:
    """Prune and mask in the caller's transaction; flush, the caller commits."""
    report = RetentionReport()
    if options.outbox_days:
        report.removed["portal_outbox"] = _prune_outbox(session, now - _days(options.outbox_days))
    if options.runs_days:
        report.removed.update(_prune_runs(session, now - _days(options.runs_days)))
    if options.alerts_days:
        report.removed.update(_prune_alerts(session, now - _days(options.alerts_days)))
    if options.personal_data_years:
        years = options.personal_data_years
        report.masked = mask_personal_data(session, now - _days(365 * years + years // 4))
    session.flush()
    return report


def _days(count: int) -> dt.timedelta:
    return dt.timedelta(days=count)


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


def _prune_outbox(session: Session, before: dt.datetime) -> int:
    newest = (select(func.max(PortalOutbox.id))
              .group_by(PortalOutbox.dossier_code, PortalOutbox.service))
    return _count(session.execute(delete(PortalOutbox).where(
        PortalOutbox.recorded_at < before, PortalOutbox.id.not_in(newest))))


def _prune_runs(session: Session, before: dt.datetime) -> dict[str, int]:
    """Finished runs older than `before`, but not the newest of each, nor one still named."""
    newest_ingest = select(func.max(ConnectorRun.id)).group_by(ConnectorRun.connector)
    named = select(ConnectorCursor.run_id).where(ConnectorCursor.run_id.is_not(None))
    session.execute(update(QuarantinedRecord).where(QuarantinedRecord.run_id.in_(
        select(ConnectorRun.id).where(ConnectorRun.finished_at < before)))
        .values(run_id=None).execution_options(synchronize_session=False))
    runs = _count(session.execute(delete(ConnectorRun).where(
        ConnectorRun.finished_at < before, ConnectorRun.id.not_in(newest_ingest),
        ConnectorRun.id.not_in(named))))
    newest_portal = select(func.max(PortalSyncRun.id)).group_by(PortalSyncRun.kind)
    portal = _count(session.execute(delete(PortalSyncRun).where(
        PortalSyncRun.finished_at < before, PortalSyncRun.id.not_in(newest_portal))))
    resolved = _count(session.execute(delete(QuarantinedRecord).where(
        QuarantinedRecord.resolved_at < before)))
    return {"connector_run": runs, "portal_sync_run": portal, "quarantined_record": resolved}


def _prune_alerts(session: Session, before: dt.datetime) -> dict[str, int]:
    """Alerts of closed dossiers older than `before`, their deliveries, digests, messages."""
    closed = select(Dossier.id).where(Dossier.is_open == false())
    old = list(session.scalars(select(Alert.id).where(
        Alert.created_at < before, Alert.dossier_id.in_(closed))))
    deliveries = alerts = 0
    for start in range(0, len(old), CHUNK):
        chunk = old[start:start + CHUNK]
        deliveries += _count(session.execute(
            delete(AlertDelivery).where(id_in(AlertDelivery.alert_id, chunk))))
        alerts += _count(session.execute(delete(Alert).where(id_in(Alert.id, chunk))))
    digests = _count(session.execute(delete(AlertDigest).where(
        AlertDigest.created_at < before, AlertDigest.state != DeliveryState.PENDING)))
    used = select(AlertDelivery.message_id).where(AlertDelivery.message_id.is_not(None)) \
        .union(select(AlertDigest.message_id).where(AlertDigest.message_id.is_not(None)))
    messages = _count(session.execute(delete(AlertMessage).where(
        AlertMessage.started_at < before, AlertMessage.id.not_in(used))))
    return {"alert": alerts, "alert_delivery": deliveries, "alert_digest": digests,
            "alert_message": messages}


def mask_personal_data(session: Session, finished_before: dt.datetime) -> int:
    """Reduce the applicant of dossiers finished before the instant to initials; count them.

    Masking is idempotent ("Nguyễn V. B." masks to itself), so rows already done are read but
    not written again.
    """
    rows = session.execute(select(
        Dossier.id, Dossier.applicant_name, Dossier.applicant_id_no, Dossier.applicant_phone,
        Dossier.applicant_email, Dossier.summary).where(
        Dossier.is_open == false(), Dossier.finished_at < finished_before)).all()
    pending = [(row.id, mask_name(row.applicant_name)) for row in rows
               if mask_name(row.applicant_name) != row.applicant_name
               or any((row.applicant_id_no, row.applicant_phone, row.applicant_email,
                       row.summary))]
    table = Dossier.__table__
    for start in range(0, len(pending), CHUNK):
        # One executemany per chunk; updated_at is left alone on purpose (see the module).
        session.execute(update(table).where(table.c.id == bindparam("row_id")).values(
            applicant_name=bindparam("masked"), applicant_id_no=None, applicant_phone=None,
            applicant_email=None, summary=None),
            [{"row_id": row_id, "masked": name} for row_id, name in pending[start:start + CHUNK]])
    done = [row_id for row_id, _ in pending]
    for start in range(0, len(done), CHUNK):
        session.execute(update(CitizenRating).where(
            id_in(CitizenRating.dossier_id, done[start:start + CHUNK]))
            .values(comment=None).execution_options(synchronize_session=False))
    return len(pending)
