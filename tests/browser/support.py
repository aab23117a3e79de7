"""What the browser tests share: Debian's Chromium and its flags, and the app served on
loopback from a thread on a freshly seeded database."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from service.models import Base
from service.runtime import Runtime
from service.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path("test-artifacts")
PHONE = {"width": 390, "height": 844}


@contextmanager
def served(settings: dict[str, Any], seed: Callable[[Session], None],
           now: dt.datetime | None = None) -> Iterator[str]:
    """Seed a fresh database and serve the app from a thread; yield its base URL."""
    runtime = Runtime.from_settings(settings)
    if now is not None:
        runtime.now = lambda: now  # type: ignore[method-assign] - the pages' clock, passed in
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions() as session:
        seed(session)
        session.commit()
    app = create_app(runtime.settings, runtime)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join()
        runtime.engine.dispose()
