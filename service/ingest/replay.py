"""The replay cache of signed webhook pushes: each signature is accepted once.

A signature covers the push's timestamp and body, and the timestamp must fall within a window
of the server's clock, so a copy captured on the way can only be sent again inside that window;
the signatures seen within it are kept (table `webhook_replay`) and a second use is refused.
Rows older than twice the window can no longer match an acceptable timestamp and are pruned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.models import WebhookReplay


class ReplayedPush(Exception):
    """A signed push whose signature was already accepted."""


@dataclass(frozen=True)
class Signed:
    """The signature a push was accepted with, and the window its timestamp was checked in."""

    signature: str
    window: dt.timedelta


def remember(session: Session, connector: str, signed: Signed, now: dt.datetime) -> None:
    """Record a signature in the caller's transaction; ReplayedPush if it was seen before.

    Two copies sent at once race on the primary key: the second's insert waits for the
    first's transaction and then fails, so only one of them is ever stored.
    """
    # Each connector prunes only its own rows: another's window may be longer.
    session.execute(delete(WebhookReplay).where(WebhookReplay.connector == connector,
                                                WebhookReplay.seen_at < now - 2 * signed.window))
    if session.scalar(select(WebhookReplay.signature)
                      .where(WebhookReplay.signature == signed.signature)) is not None:
        raise ReplayedPush(signed.signature)
    try:
        with session.begin_nested():
            session.add(WebhookReplay(signature=signed.signature, connector=connector,
                                      seen_at=now))
    except IntegrityError:
        raise ReplayedPush(signed.signature) from None
