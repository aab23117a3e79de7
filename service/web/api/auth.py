"""Bearer-token authentication for the REST API: read the header, check scope, document it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from flask_smorest import Blueprint, abort

from service.models import ApiToken
from service.users.tokens import SCOPES, authenticate, note_use
from service.web.session import db, runtime

SECURITY_SCHEME = "bearerAuth"

F = TypeVar("F", bound=Callable[..., Any])


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
    note_use(runtime().engine, token, runtime().now())
    return token


def token_required(scope: str) -> Callable[[F], F]:
    """Refuse the view unless the request carries a live bearer token granting `scope`."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.api_token = current_token(scope)
            return view(*args, **kwargs)

        # OpenAPI 3.0 lets only OAuth2 schemes list scopes, so the scope goes in an extension.
        return Blueprint.doc(security=[{SECURITY_SCHEME: []}],
                             responses={401: "UNAUTHORIZED", 403: "FORBIDDEN"},
                             **{"x-required-scope": scope})(wrapper)

    return decorator
