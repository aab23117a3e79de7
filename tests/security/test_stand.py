"""The stand itself: the server answers, the seed is there, the proxy forwards."""

from __future__ import annotations

from tests.security.conftest import DOSSIER_A, Stand, call


def test_the_stand_serves_its_seed_directly_and_through_the_proxy(stand: Stand) -> None:
    assert call(stand.url, "/healthz").status == 200
    assert stand.signed_in("canbo_a").get(f"/ho-so/{DOSSIER_A}").status == 200
    proxy = stand.proxy()
    assert call(proxy.url, "/tra-cuu").status == 200
