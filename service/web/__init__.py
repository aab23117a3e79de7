"""The web edge: `create_app` wires the pages, the REST API, security and metrics together."""

from __future__ import annotations

import gc
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


def settle_heap() -> None:
    """Leave the objects built so far (modules, routes, schemas, compiled statements) out of
    every later garbage collection. Called once per serving process, after its app is built.

    They live as long as the process, yet each full collection walks them all: about 170 000
    objects and a 100 ms pause of every thread of the worker, a citizen's request caught in it
    included (bench/lookup.py saw it as the tail of its latency). CPython's `gc.freeze` moves
    them to a generation it never scans. Not done by create_app: tests build many apps in one
    process, and every frozen one would stay.
    """
    gc.collect()
    gc.freeze()
