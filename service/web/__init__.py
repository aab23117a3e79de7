"""The web edge: `create_app` wires the pages, the REST API, security and metrics together."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service.runtime import Runtime
from service.web import api, metrics, pages, security, session


def create_app(settings: dict[str, Any], runtime: Runtime | None = None) -> Flask:
    """Build the Flask app for a validated configuration (see service.cli.context.load_settings).

    A caller that already holds a runtime (the demo, the scheduler's tests) passes it so the
    app shares its engine instead of opening a second one.
    """
    app = Flask(__name__)
    runtime = runtime or Runtime.from_settings(settings, settings["web"]["sqlite_mmap_mb"])
    # The key comes from `settings`: serve and wsgi pass the runtime's dict with the key they
    # judged strong enough; everything else reads the runtime's typed settings (session.config).
    app.config.update(SECRET_KEY=settings["secret_key"], JSON_AS_ASCII=False,
                      MAX_CONTENT_LENGTH=5 * 1024 * 1024)
    app.extensions["tthc"] = runtime
    session.register_session(app)
    security.init_security(app)
    pages.register(app)
    metrics.init_metrics(app)
    api.init_api(app)
    return app
