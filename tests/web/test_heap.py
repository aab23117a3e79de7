"""A serving process leaves its app's own objects out of garbage collection (service.web)."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from tests.configs import write_config

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import gc, time
import service.web.wsgi
frozen = gc.get_freeze_count()
started = time.perf_counter()
gc.collect()
print(frozen, round((time.perf_counter() - started) * 1000, 1))
"""


def test_the_gunicorn_entry_point_freezes_what_it_built(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml",
                          {"database_url": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={
                              "TTHC_CONFIG": str(config), "PATH": "/usr/bin:/bin",
                              "TTHC_SECRET_KEY": secrets.token_urlsafe(48)})
    assert done.returncode == 0, done.stderr
    frozen, collect_ms = done.stdout.split()
    # The app is well over 100 000 objects; a full collection then has little left to walk.
    assert int(frozen) > 100_000
    assert float(collect_ms) < 50
