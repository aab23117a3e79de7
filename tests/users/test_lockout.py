"""Per-account lockout: failures from anywhere lock one account, with backoff, on both
databases; the right password is refused while locked; a good sign-in or an unlock clears it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Base, User
from service.runtime import Runtime
from service.users.accounts import Lockout, authenticate, create_user, password_hasher, unlock
from tests.conftest import UNIT_CODE, make_settings
from tests.pages_support import NOW, PASSWORD, ensure_unit

FAST = password_hasher(time_cost=1, memory_kib=1024)
LOCKOUT = Lockout(after=5, first=dt.timedelta(minutes=1), longest=dt.timedelta(minutes=30))
WRONG = "không-phải-mật-khẩu"


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """A session on each database, with the clerk "lan"."""
    runtime = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions() as session:
        ensure_unit(session)
        create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, hasher=FAST)
        session.commit()
        yield session
    runtime.engine.dispose()


def attempt(session: Session, password: str, at: dt.datetime, username: str = "lan") -> bool:
    user = authenticate(session, username, password, at, FAST, LOCKOUT)
    session.commit()
    return user is not None


def test_the_lock_doubles_from_one_minute_up_to_its_cap() -> None:
    minutes = [LOCKOUT.until(n, NOW) for n in (4, 5, 6, 7, 8, 9, 10, 11, 10**6)]
    assert minutes[0] is None
    assert [(m - NOW) / dt.timedelta(minutes=1) for m in minutes[1:]] == [
        1, 2, 4, 8, 16, 30, 30, 30]


def test_five_failures_lock_the_account_even_against_the_right_password(db: Session) -> None:
    for second in range(5):
        assert not attempt(db, WRONG, NOW + dt.timedelta(seconds=second))
    assert not attempt(db, PASSWORD, NOW + dt.timedelta(seconds=30))
    assert not attempt(db, PASSWORD, NOW + dt.timedelta(seconds=63))  # locked at 4 s, for 60 s
    assert attempt(db, PASSWORD, NOW + dt.timedelta(seconds=65))
    user = authenticate(db, "lan", PASSWORD, NOW + dt.timedelta(seconds=66), FAST, LOCKOUT)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_each_failure_after_a_lock_doubles_it(db: Session) -> None:
    at = NOW
    for _ in range(5):
        attempt(db, WRONG, at)
    expected = [2, 4, 8, 16, 30, 30]
    for minutes in expected:
        at += dt.timedelta(minutes=31)  # past any lock: the guess is counted
        assert not attempt(db, WRONG, at)
        assert not attempt(db, PASSWORD, at + dt.timedelta(minutes=minutes) - dt.timedelta(
            seconds=1))
    assert attempt(db, PASSWORD, at + dt.timedelta(minutes=31))


def test_guesses_during_a_lock_are_not_counted(db: Session) -> None:
    for _ in range(5):
        attempt(db, WRONG, NOW)
    for _ in range(20):
        attempt(db, WRONG, NOW + dt.timedelta(seconds=30))
    assert attempt(db, PASSWORD, NOW + dt.timedelta(seconds=61))


def test_an_unlock_lets_the_owner_in_at_once(db: Session) -> None:
    for _ in range(5):
        attempt(db, WRONG, NOW)
    assert not attempt(db, PASSWORD, NOW)
    unlock(lan(db))
    db.commit()
    assert attempt(db, PASSWORD, NOW)


def test_unknown_and_disabled_accounts_keep_no_count(db: Session) -> None:
    for _ in range(10):
        assert not attempt(db, WRONG, NOW, "không-có-ai")
    lan(db).active = False
    for _ in range(10):
        assert not attempt(db, WRONG, NOW)
    assert lan(db).failed_logins == 0
    lan(db).active = True
    assert attempt(db, PASSWORD, NOW)


def lan(session: Session) -> User:
    return session.scalars(select(User).where(User.username == "lan")).one()
