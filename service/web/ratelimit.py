"""The in-process rate-limit store: fixed-window counters in a dict, swept inline.

`limits.storage.MemoryStorage` removes expired counters from a `threading.Timer` that it
starts again, 10 ms after the last one ended, whenever a request is counted: under steady
traffic that is up to a hundred new threads a second per process, each sweep walking every
counter while holding the GIL. Under gunicorn's threaded workers that cost about a fifth of the
citizen lookup's CPU (1.3 against 1.05 ms a request, bench/lookup.py). This store implements
limits' public `Storage` interface for the fixed-window strategy the app uses: counters expire
when read, and expired ones are swept at most once a second, in the thread that counts.

`[web] ratelimit_storage = "memory://"` selects this store; Redis and the others are used as
limits provides them. While a shared store is unreachable, the limits counted by hand (the
citizen lookup) fall back to this store, per process: four phone digits are only 10 000 guesses,
so a dead Redis must not switch the lookup's limits off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

SCHEME = "tthc-memory"
# Seconds before a store that failed is tried again; meanwhile limits are counted in memory.
RETRY_SECONDS = 30.0
# Redis answers a loopback or LAN call in about a millisecond; without a timeout a silent
# host would hold every lookup until the kernel gives up on the connection.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
log = logging.getLogger(__name__)


class SweptMemoryStorage(Storage):
    """Fixed-window counters in memory; expired counters swept inline, at most once a second."""

    STORAGE_SCHEME = [SCHEME]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.counts: dict[str, int] = {}
        self.expirations: dict[str, float] = {}
        self.lock = threading.Lock()
        self.next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """Nothing in memory raises a storage error of its own."""
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count `amount` against `key`; a new window lasts `expiry` seconds."""
        now = time.time()
        with self.lock:
            self._sweep(now)
            if self.expirations.get(key, 0.0) <= now:
                self.counts[key] = 0
                self.expirations[key] = now + expiry
            self.counts[key] += amount
            return self.counts[key]

    def get(self, key: str) -> int:
        """The count of `key` in its current window (0 once the window ended)."""
        with self.lock:
            if self.expirations.get(key, 0.0) <= time.time():
                return 0
            return self.counts.get(key, 0)

    def get_expiry(self, key: str) -> float:
        """When the current window of `key` ends (epoch seconds)."""
        return self.expirations.get(key, time.time())

    def check(self) -> bool:
        """Memory is always reachable."""
        return True

    def reset(self) -> int | None:
        """Forget every counter; return how many there were."""
        with self.lock:
            count = len(self.counts)
            self.counts.clear()
            self.expirations.clear()
            return count

    def clear(self, key: str) -> None:
        """Forget one counter."""
        with self.lock:
            self.counts.pop(key, None)
            self.expirations.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Drop ended windows, at most once a second (the lock is held)."""
        if now < self.next_sweep:
            return
        self.next_sweep = now + self.SWEEP_SECONDS
        for key in [k for k, end in self.expirations.items() if end <= now]:
            self.counts.pop(key, None)
            self.expirations.pop(key, None)


def storage_uri(configured: str) -> str:
    """The storage URI to give Flask-Limiter for the configured one."""
    return f"{SCHEME}://" if configured == "memory://" else configured


def storage_options(configured: str) -> dict[str, Any]:
    """Options for the configured store: timeouts for Redis, nothing for the others."""
    return dict(REDIS_TIMEOUTS) if configured.startswith(("redis://", "rediss://")) else {}


class MemoryFallback:
    """Counts limits in this process's memory while the shared store is unreachable.

    The same in spirit as Flask-Limiter's in-memory fallback for its decorated routes (the
    login): a failure is logged once, counting goes on in memory, and the shared store is tried
    again after `retry_seconds`.
    """

    def __init__(self, retry_seconds: float = RETRY_SECONDS) -> None:
        self.memory = FixedWindowRateLimiter(SweptMemoryStorage())
        self.retry_seconds = retry_seconds
        self.retry_at = 0.0
        self.failing = False

    def run(self, shared: RateLimiter, check: Callable[[RateLimiter], bool], name: str) -> bool:
        """`check` against the shared store, or against memory while that store is failing."""
        if time.monotonic() >= self.retry_at:
            try:
                result = check(shared)
            except Exception as exc:  # noqa: BLE001 - any storage error: Redis, network, ...
                self.retry_at = time.monotonic() + self.retry_seconds
                self.failing = True
                log.warning("rate-limit storage unreachable (%s); %s and the other limits "
                            "counted by hand are counted in this process's memory for %.0f s",
                            exc, name, self.retry_seconds)
            else:
                if self.failing:
                    self.failing = False
                    log.warning("rate-limit storage reachable again; %s counted there", name)
                return result
        return check(self.memory)
