"""API tokens: issue, revoke, authenticate, and note their use; no web framework here."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from service.models import ApiToken

SCOPES = ("read", "ingest", "admin")
TOKEN_PREFIX = "tthc_"
# Recording every use would turn each read into a write; a coarse timestamp is enough to spot
# tokens nobody uses any more.
LAST_USED_PRECISION = dt.timedelta(minutes=5)


class TokenError(ValueError):
    """A token cannot be issued or revoked as asked; the message says why."""


def hash_token(raw: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, name: str, scopes: list[str], now: dt.datetime
                ) -> tuple[ApiToken, str]:
    """Add a token and return it with its secret, which is shown once and never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenError(f"scopes must be among {', '.join(SCOPES)}; got {', '.join(unknown)}")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(f"a token named {name!r} already exists")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(raw), created_at=now,
                     scopes=" ".join(s for s in SCOPES if s in scopes))
    session.add(token)
    session.flush()
    return token, raw


def revoke_token(session: Session, name: str, now: dt.datetime) -> ApiToken:
    """Mark a token revoked; it is refused from the next request on."""
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise TokenError(f"no token named {name!r}")
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token


def authenticate(session: Session, raw: str) -> ApiToken | None:
    """The live token with this secret, or None."""
    # Looking up by the hash of the secret means the database compares digests, never secrets,
    # so response time tells an attacker nothing about how close a guess was.
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def note_use(engine: Engine, token: ApiToken, now: dt.datetime) -> None:
    """Record when a token was last used, at most once per LAST_USED_PRECISION."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    # A separate short transaction: GET handlers never commit the request session.
    with engine.begin() as conn:
        conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
