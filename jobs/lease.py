"""The scheduler lease: a row with an expiry, so that only one scheduler process runs jobs.

The holder renews it every third of its length. A scheduler that dies (even by kill -9)
stops renewing; once the row expires a waiting scheduler takes it. Expiry is compared with
each process's wall clock, so schedulers on several hosts need synchronised clocks (NTP).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from service.models import SchedulerLease
from service.models.scheduling import SCHEDULER_LEASE, insert_ignoring_duplicates

log = logging.getLogger(__name__)
LEASE_NAME = SCHEDULER_LEASE


# Drawn once per interpreter, so a restarted process that got the same pid is still told apart.
_TAIL = uuid.uuid4().hex[:6]


def process_name() -> str:
    """This process's name as lease holder and claimer: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{_TAIL}"


def acquire(session: Session, holder: str, now: dt.datetime, ttl: dt.timedelta,
            name: str = LEASE_NAME) -> bool:
    """Take the lease if it is free, expired or already ours, until now + ttl; flush only."""
    if insert_ignoring_duplicates(session, SchedulerLease, [
            {"name": name, "holder": holder, "acquired_at": now, "expires_at": now + ttl}],
            returning=(SchedulerLease.name,)):
        return True
    table = SchedulerLease.__table__
    result = session.execute(
        update(table).where(table.c.name == name,
                            or_(table.c.holder == holder, table.c.expires_at <= now))
        .values(holder=holder, expires_at=now + ttl,
                acquired_at=case((table.c.holder == holder, table.c.acquired_at), else_=now)))
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(session: Session, holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up at once, if it is ours, so that a waiting scheduler need not wait."""
    session.execute(delete(SchedulerLease).where(SchedulerLease.name == name,
                                                 SchedulerLease.holder == holder))


def holder_of(session: Session, name: str = LEASE_NAME) -> SchedulerLease | None:
    """The lease row, if any process ever took it."""
    return session.scalar(select(SchedulerLease).where(SchedulerLease.name == name))


class LeaseKeeper:
    """Takes, renews and gives up the lease for one scheduler process."""

    def __init__(self, sessions: sessionmaker[Session], ttl: dt.timedelta,
                 holder: str | None = None,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.sessions, self.ttl, self.clock = sessions, ttl, clock
        self.holder = holder or process_name()
        self.valid_until: dt.datetime | None = None
        # Set by the renewal thread once the lease is gone (taken over, or lapsed).
        self.lost = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        """Seconds between renewals: a third of the lease, so two may fail before it lapses."""
        return self.ttl.total_seconds() / 3

    def held(self) -> bool:
        """Whether this process may run jobs now."""
        return self.valid_until is not None and self.clock() < self.valid_until

    def try_acquire(self) -> bool | None:
        """Take or renew the lease: True, False (another holds it), None (database error)."""
        started = self.clock()
        try:
            with self.sessions.begin() as session:
                won = acquire(session, self.holder, started, self.ttl)
        except SQLAlchemyError as exc:
            # The lease we hold (if any) still runs to valid_until: one busy moment of the
            # database must not cost it, the renewal thread simply tries again sooner.
            log.warning("scheduler lease: database error: %s", type(exc).__name__)
            return None
        self.valid_until = started + self.ttl if won else None
        return won

    def wait(self, stop: threading.Event) -> bool:
        """Block until the lease is ours (True) or stop is set (False)."""
        announced = False
        while not stop.is_set():
            won = self.try_acquire()
            if won:
                log.info("scheduler lease acquired by %s", self.holder)
                return True
            if won is False and not announced:
                with self.sessions() as session:
                    row = holder_of(session)
                log.info("scheduler lease held by %s; waiting",
                         row.holder if row else "another process")
                announced = True
            stop.wait(self.interval)
        return False

    def keep(self) -> None:
        """Renew in a background thread from now on; set `lost` once the lease is gone."""
        self._done.clear()
        self.lost.clear()

        def renew() -> None:
            pause = self.interval
            while not self._done.wait(pause):
                won = self.try_acquire()
                if won is False or not self.held():
                    log.warning("scheduler lease lost by %s", self.holder)
                    self.lost.set()
                    return
                # After a database error, retry within a ninth of the lease, not a third.
                pause = self.interval if won else self.interval / 3

        self._thread = threading.Thread(target=renew, name="lease-keeper", daemon=True)
        self._thread.start()

    def stop_keeping(self) -> None:
        """Stop the renewal thread."""
        self._done.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def release(self) -> None:
        """Stop renewing and give the lease up."""
        self.stop_keeping()
        self.valid_until = None
        try:
            with self.sessions.begin() as session:
                release(session, self.holder)
        except SQLAlchemyError as exc:
            log.warning("scheduler lease: could not release: %s", type(exc).__name__)
