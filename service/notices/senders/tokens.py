"""The Zalo OA's tokens in the database, renewed by one process at a time."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from service.models import NoticeToken
from service.models.scheduling import insert_ignoring_duplicates
from service.notices.senders.zalo import Grant, Token


def digest(secret: str) -> str:
    """A digest that tells whether configuration gave a new seed, without keeping it."""
    return hashlib.sha256(secret.encode()).hexdigest()


class DatabaseTokens:
    """The token row named `name`; a renewal holds the row's lock while it calls Zalo.

    Zalo's refresh tokens work once, so two processes renewing together would leave one of
    them with a used token: the lock makes the second wait and then take the first's result.
    """

    def __init__(self, sessions: sessionmaker[Session], name: str) -> None:
        self.sessions, self.name = sessions, name

    def current(self) -> Token | None:
        """The stored access token, if any."""
        with self.sessions() as session:
            row = session.get(NoticeToken, self.name)
            if row is None or not row.access_token or row.expires_at is None:
                return None
            return Token(row.access_token, row.expires_at)

    def renew(self, stale: str | None, seed: str, exchange: Callable[[str], Grant],
              now: dt.datetime) -> Token:
        """A fresh token, from the stored refresh token or a seed configuration changed."""
        with self.sessions.begin() as session:
            row = self._lock(session)
            if (row.access_token and row.access_token != stale and row.expires_at
                    and row.expires_at > now):
                return Token(row.access_token, row.expires_at)  # renewed meanwhile
            seeded = digest(seed)
            refresh = row.refresh_token if row.refresh_token and row.seed_hash == seeded \
                else seed
            grant = exchange(refresh)
            row.access_token, row.refresh_token = grant.access_token, grant.refresh_token
            row.expires_at, row.seed_hash, row.refreshed_at = now + grant.lifetime, seeded, now
            return Token(grant.access_token, row.expires_at)

    def _lock(self, session: Session) -> NoticeToken:
        """The row, written first so that SQLite and PostgreSQL both lock it until commit."""
        insert_ignoring_duplicates(session, NoticeToken, [{"name": self.name}])
        session.execute(update(NoticeToken).where(NoticeToken.name == self.name)
                        .values(name=self.name).execution_options(synchronize_session=False))
        return session.get_one(NoticeToken, self.name, populate_existing=True)
