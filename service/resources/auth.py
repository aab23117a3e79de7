"""Bearer-token authentication for the REST API: issue, revoke, check, and `token_required`."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.models import ApiToken
from service.web import db, runtime

SCOPES = ("read", "ingest", "admin")
TOKEN_PREFIX = "tthc_"
# Recording every use would turn each read into a write; a coarse timestamp is enough to spot
# tokens nobody uses any more.
LAST_USED_PRECISION = dt.timedelta(minutes=5)
SECURITY_SCHEME = "bearerAuth"

F = TypeVar("F", bound=Callable[..., Any])


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


def bearer_secret() -> str | None:
    """The secret from the request's `Authorization: Bearer` header, if any."""
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_token(scope: str) -> ApiToken:
    """The request's token if it grants `scope`; otherwise abort with 401 or 403."""
    raw = bearer_secret()
    token = authenticate(db(), raw) if raw else None
    if token is None:
        abort(401, message="Thiếu hoặc sai mã truy cập (bearer token).",
              headers={"WWW-Authenticate": 'Bearer realm="tthc-monitor"'})
    if not token.allows(scope):
        abort(403, message=f"Mã truy cập không có quyền '{scope}'.")
    note_use(token)
    return token


def note_use(token: ApiToken) -> None:
    """Record when a token was last used, at most once per LAST_USED_PRECISION."""
    now = runtime().now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    # A separate short transaction: GET handlers never commit the request session.
    with runtime().engine.begin() as conn:
        conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))


def token_required(scope: str) -> Callable[[F], F]:
    """Refuse the view unless the request carries a live bearer token granting `scope`."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.api_token = current_token(scope)
            return view(*args, **kwargs)

        apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        # OpenAPI 3.0 lets only OAuth2 schemes list scopes, so the scope goes in an extension.
        manual["security"] = [{SECURITY_SCHEME: []}]
        manual["x-required-scope"] = scope
        responses = manual.setdefault("responses", {})
        responses.setdefault(401, "UNAUTHORIZED")
        responses.setdefault(403, "FORBIDDEN")
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
