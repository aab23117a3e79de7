"""The REST API: flask-smorest setup, JSON errors under /api only, and the resource registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Blueprint, Flask, render_template, request
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from service.users.tokens import hash_token
from service.web.api import alerts, dossiers, ingest, lookup, reports, runs, sync, units
from service.web.api.auth import SECURITY_SCHEME, bearer_secret
from service.web.security import SELF_COUNTED, limiter
from service.web.session import config

API_PREFIX = "/api"
# Each module exposes a flask_smorest Blueprint named `blp`; init_api registers them in order.
BLUEPRINT_MODULES = (units, dossiers, runs, alerts, lookup, reports, sync, ingest)

# Blueprints with limits of their own instead of [api] rate_limit.
OWN_LIMITS = frozenset({"lookup-api"})

docs_ui = Blueprint("api_docs_ui", __name__)


class MonitorApi(Api):
    """flask-smorest's Api, answering JSON errors for /api paths and leaving pages their HTML."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        """Render the error as JSON under /api; hand it back to Flask's HTML page elsewhere."""
        if not (request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")):
            return error
        payload, status, headers = super().handle_http_exception(error)
        # Every API error carries a message, also for errors raised without one (404, 429...).
        payload.setdefault("message", error.description or error.name)
        return payload, status, headers


@docs_ui.get(f"{API_PREFIX}/docs")
def swagger_ui() -> str:
    """Show the interactive API documentation (Swagger UI, served from bundled files)."""
    return render_template("api_docs.html")


def api_limit() -> str:
    """Requests allowed per API client ([api] rate_limit)."""
    return config().api.rate_limit


def api_client() -> str:
    """Rate-limit key: the bearer token when there is one, else the client address."""
    secret = bearer_secret()
    return f"api-token:{hash_token(secret)[:16]}" if secret else get_remote_address()


def schema_namer() -> Callable[[Any], str]:
    """Name OpenAPI components after their schema class, prefixing the module on a clash.

    Resources are written independently, so two may each define a `RunSchema`; the second
    becomes `SyncRun` instead of apispec's warning and an arbitrary `Run1`.
    """
    names: dict[type, str] = {}

    def resolve(schema: Any) -> str:
        cls = resolve_schema_cls(schema)
        if cls not in names:
            base = cls.__name__.removesuffix("Schema") or cls.__name__
            if base in names.values():
                base = cls.__module__.rsplit(".", 1)[-1].title().replace("_", "") + base
            names[cls] = base
        return names[cls]

    return resolve


def init_api(app: Flask) -> MonitorApi:
    """Attach the API to the app: OpenAPI at /api/openapi.json, docs at /api/docs, resources."""
    app.config.update(
        API_TITLE="tthc-monitor",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    # Flask 3 ignores JSON_AS_ASCII; Vietnamese reads better unescaped and is valid UTF-8 JSON.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    info = {"description": "Read the commune's administrative-procedure dossiers, deadlines "
                           "and reports; a public lookup lets citizens follow their own dossier."}
    plugin = MarshmallowPlugin(schema_name_resolver=schema_namer())
    api = MonitorApi(app, spec_kwargs={"marshmallow_plugin": plugin, "info": info})
    api.spec.components.security_scheme(
        SECURITY_SCHEME, {"type": "http", "scheme": "bearer",
                          "description": "Token from `tthc-monitor token create NAME`."})
    for module in BLUEPRINT_MODULES:
        blp = module.blp
        if blp.name in OWN_LIMITS:
            SELF_COUNTED.add(blp.name)  # counted by the resource itself
        else:
            limiter.limit(api_limit, key_func=api_client)(blp)
        api.register_blueprint(blp)
    app.register_blueprint(docs_ui)
    app.extensions["tthc_api"] = api
    return api
