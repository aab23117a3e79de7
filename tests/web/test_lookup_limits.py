"""The lookup's limits fail closed: with the shared store (Redis) down they are counted in the
process's memory, logged once, and counted in the store again once it answers."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from service.models import Base
from service.runtime import Runtime
from service.web import create_app
from service.web.ratelimit import REDIS_TIMEOUTS, MemoryFallback
from service.web.security import limiter
from tests.conftest import make_settings
from tests.processes import Process, clean_env, free_port

pytest.importorskip("redis", reason="the redis client is in the [redis] extra")
UNREACHABLE = "rate-limit storage unreachable"


@pytest.fixture
def store_down_app(tmp_path: Path) -> Iterator[Any]:
    """An app whose rate-limit store is a Redis where nothing listens."""
    settings = make_settings(f"sqlite:///{tmp_path / 'down.db'}",
                             web={"ratelimit_storage": f"redis://127.0.0.1:{free_port()}/0"},
                             lookup={"rate_limit": "3 per minute", "code_rate_limit": "5 per hour"})
    runtime = Runtime.from_settings(settings)
    Base.metadata.create_all(runtime.engine)
    yield create_app(runtime.settings, runtime)
    runtime.engine.dispose()


def test_lookup_limits_hold_in_memory_while_the_store_is_down(
        store_down_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = store_down_app.test_client()
    with caplog.at_level(logging.WARNING, logger="service.web.ratelimit"):
        by_address = [client.get(f"/api/v1/lookup/A-{n}?factor=1234").status_code
                      for n in range(5)]
        by_code = [client.get(f"/api/v1/lookup/SAME?factor={n:04d}",
                              environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code
                   for n in range(7)]
    assert by_address == [404, 404, 404, 429, 429]
    assert by_code == [404] * 5 + [429] * 2
    # Logged once for the outage (the store is tried again only after a pause), in English.
    assert caplog.text.count(UNREACHABLE) == 1 and "memory" in caplog.text


def test_the_redis_store_gets_timeouts(store_down_app: Any) -> None:
    pool = limiter.limiter.storage.storage.connection_pool
    for option, seconds in REDIS_TIMEOUTS.items():
        assert pool.connection_kwargs[option] == seconds


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    """A port where a Redis server of this test will listen once started (see redis_server)."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    yield free_port()


def test_counting_returns_to_the_store_once_it_answers(
        redis_port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    shared = FixedWindowRateLimiter(storage_from_string(
        f"redis://127.0.0.1:{redis_port}/0", **REDIS_TIMEOUTS))
    fallback = MemoryFallback(retry_seconds=0)
    item = parse("2 per minute")

    def hit() -> bool:
        return fallback.run(shared, lambda counter: counter.hit(item, "t", "k"), "t")

    with caplog.at_level(logging.WARNING, logger="service.web.ratelimit"):
        assert [hit(), hit(), hit()] == [True, True, False]  # counted in memory
        server = Process(["redis-server", "--port", str(redis_port), "--save", "",
                          "--appendonly", "no", "--dir", str(tmp_path)], clean_env())
        try:
            server.wait_for(r"Ready to accept connections", timeout=30)
            assert [hit(), hit(), hit()] == [True, True, False]  # a fresh count in Redis
            assert shared.storage.get(item.key_for("t", "k")) == 3  # each hit counted there
        finally:
            server.stop()
    assert caplog.text.count(UNREACHABLE) == 3 and "reachable again" in caplog.text
