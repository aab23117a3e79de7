"""The in-process rate-limit store: limits' memory storage without a thread per 10 ms.

`limits.storage.MemoryStorage` removes expired counters from a `threading.Timer` that it
starts again, 10 ms after the last one ended, whenever a request is counted: under steady
traffic that is up to a hundred new threads a second per process, each sweep walking every
counter while holding the GIL. Counters already expire lazily when read, so the sweep only
frees memory; here it runs at most once a second, in the thread that counts. On the citizen
lookup this was 4 % of a request's CPU in one thread, and under gunicorn's threaded workers the
lookup's CPU per request fell from about 1.3 to 1.05 ms without it (bench/lookup.py).

`[web] ratelimit_storage = "memory://"` selects this store; Redis and the others are used as
limits provides them.
"""

from __future__ import annotations

import time
from typing import Any

from limits.storage import MemoryStorage

SCHEME = "tthc-memory"


class SweptMemoryStorage(MemoryStorage):
    """MemoryStorage whose expired counters are swept inline, at most once a second."""

    STORAGE_SCHEME = [SCHEME]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.next_sweep = 0.0

    # MemoryStorage calls this private hook before every count; tests/test_security.py fails
    # if a new release of limits renames it, rather than letting threads come back unnoticed.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def storage_uri(configured: str) -> str:
    """The storage URI to give Flask-Limiter for the configured one."""
    return f"{SCHEME}://" if configured == "memory://" else configured
