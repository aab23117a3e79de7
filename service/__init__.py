"""tthc-monitor: keeps every administrative-procedure dossier of a commune on time and visible."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service.config import load_config
from service.runtime import Runtime
from service.web import register_session


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app for a validated configuration (default: load config.toml)."""
    settings = config if config is not None else load_config()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings["secret_key"], TTHC=settings,
                      JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=5 * 1024 * 1024)
    app.extensions["tthc"] = Runtime.from_settings(settings, settings["web"]["sqlite_mmap_mb"])
    register_session(app)

    from service.pages import home

    app.register_blueprint(home.bp)

    from service.pages import clerks

    clerks.register(app)

    from service.metrics import init_metrics
    from service.pages import lookup
    from service.security import init_security

    init_security(app)
    init_metrics(app)
    app.register_blueprint(lookup.bp)

    from service.resources import init_api

    init_api(app)
    return app
