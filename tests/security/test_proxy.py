"""Behind a reverse proxy: the app sees each client's own address and the HTTPS it came by.

The real `tthc-monitor serve` (waitress) stands behind the stand's proxy, which appends the
peer to X-Forwarded-For and says https, as nginx does. Clients here are loopback addresses, so
/metrics is opened to the proxy's own address only (127.0.0.1/32): on a real server the clients
are outside metrics_networks and the proxy on loopback is inside it, which is what this checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.security.conftest import DOSSIER_A, Answer, ReverseProxy, Stand, call

LIMIT = 4
LOOKUP = f"/api/v1/lookup/{DOSSIER_A}?factor=5678"   # the right phone tail: counts per client
HSTS = "Strict-Transport-Security"


@pytest.fixture(scope="module")
def stand_overrides() -> dict[str, Any]:
    return {
        "security": {"trusted_proxy": "127.0.0.1", "proxy_hops": 1,
                     "metrics_networks": ["127.0.0.1/32"]},
        # Per day, so no window ends halfway through a test.
        "lookup": {"rate_limit": f"{LIMIT} per day"},
    }


@pytest.fixture(scope="module")
def proxy(stand: Stand) -> ReverseProxy:
    return stand.proxy()


def until_refused(send: Callable[[int], Answer]) -> list[int]:
    """Statuses of the lookups one client sends until refused (at most LIMIT + 2)."""
    statuses: list[int] = []
    for attempt in range(LIMIT + 2):
        statuses.append(send(attempt).status)
        if statuses[-1] == 429:
            break
    return statuses


def test_clients_behind_the_proxy_are_limited_each_on_their_own(proxy: ReverseProxy) -> None:
    hammering = until_refused(lambda _: call(proxy.url, LOOKUP, source="127.0.0.2"))
    assert hammering == [200] * LIMIT + [429]
    # Another citizen through the same proxy still gets their answer.
    assert call(proxy.url, LOOKUP, source="127.0.0.3").status == 200


def test_a_client_cannot_claim_other_addresses_through_the_proxy(proxy: ReverseProxy) -> None:
    statuses = until_refused(lambda n: call(
        proxy.url, LOOKUP, source="127.0.0.4", headers={"X-Forwarded-For": f"198.51.100.{n}"}))
    assert statuses == [200] * LIMIT + [429]


def test_a_client_talking_to_waitress_directly_cannot_claim_an_address(stand: Stand) -> None:
    statuses = until_refused(lambda n: call(
        stand.url, LOOKUP, source="127.0.0.5", headers={"X-Forwarded-For": f"198.51.100.{n}"}))
    assert statuses == [200] * LIMIT + [429]
    # ...nor one the proxy would have handed to the app.
    spoof = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https"}
    assert call(stand.url, "/metrics", source="127.0.0.6", headers=spoof).status == 404


def test_hsts_and_secure_cookies_through_the_https_proxy_only(stand: Stand,
                                                              proxy: ReverseProxy) -> None:
    through = call(proxy.url, "/tra-cuu", source="127.0.0.7")
    assert through.header(HSTS) and "Secure" in (through.header("Set-Cookie") or "")
    direct = call(stand.url, "/tra-cuu", source="127.0.0.7")
    assert direct.status == 200 and direct.header(HSTS) is None
    assert "Secure" not in (direct.header("Set-Cookie") or "")
    claimed = call(stand.url, "/tra-cuu", source="127.0.0.7",
                   headers={"X-Forwarded-Proto": "https"})
    assert claimed.header(HSTS) is None
    plain_proxy = stand.proxy(scheme="http")
    assert call(plain_proxy.url, "/tra-cuu", source="127.0.0.7").header(HSTS) is None


def test_metrics_answer_the_proxy_host_but_no_client_through_the_proxy(
        stand: Stand, proxy: ReverseProxy) -> None:
    assert call(stand.url, "/metrics").status == 200
    assert call(proxy.url, "/metrics", source="127.0.0.8").status == 404
    claimed = call(proxy.url, "/metrics", source="127.0.0.8",
                   headers={"X-Forwarded-For": "127.0.0.1"})
    assert claimed.status == 404
