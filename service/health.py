"""What /healthz reports: whether the database takes writes, and the scheduler's heartbeat."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from service.db import SQLITE_BUSY_TIMEOUT_S, error_line
from service.models import SchedulerLease
from service.models.scheduling import SCHEDULER_LEASE

# SQLite's writer lock is held by an ingest for well under a second a part; a health probe
# waits this long for it rather than the app's 30 s, and a lock still held means "busy".
SQLITE_PROBE_MS = 2000


@dataclass(frozen=True)
class SchedulerHealth:
    """The scheduler's state: ok, stale (stopped renewing), absent (never ran) or disabled."""

    state: str
    holder: str | None = None
    heartbeat: dt.datetime | None = None


def database_state(session: Session) -> str:
    """"ok", "busy" (another writer holds SQLite's lock) or the error that refused a write.

    The probe is an UPDATE that matches no row, rolled back: it needs the right to write (a
    read-only file, a read-only PostgreSQL replica or a full disk refuse it) and changes nothing.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    try:
        connection = session.connection()
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_PROBE_MS}")
        try:
            connection.execute(update(SchedulerLease).where(SchedulerLease.name == "")
                               .values(holder=SchedulerLease.holder))
        finally:
            if sqlite:  # the pooled connection goes back with the app's own timeout
                connection.exec_driver_sql(
                    f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
    except OperationalError as exc:
        if sqlite and "database is locked" in str(exc.orig):
            return "busy"
        return error_line(exc)
    except SQLAlchemyError as exc:
        return error_line(exc)
    finally:
        session.rollback()
    return "ok"


def scheduler_state(session: Session, now: dt.datetime, lease: dt.timedelta,
                    enabled: bool = True) -> SchedulerHealth:
    """The lease row tells when the scheduler last renewed: its expiry less the lease."""
    if not enabled:
        return SchedulerHealth("disabled")
    row = session.scalar(select(SchedulerLease).where(SchedulerLease.name == SCHEDULER_LEASE))
    if row is None:
        return SchedulerHealth("absent")
    state = "ok" if row.expires_at > now else "stale"
    return SchedulerHealth(state, row.holder, row.expires_at - lease)
