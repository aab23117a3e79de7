"""The lookup at the counter: a kiosk's own, higher limit, and a 429 page that keeps the code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from service.models import Base
from service.runtime import Runtime
from service.web import create_app
from service.web.pages.lookup import is_kiosk
from tests.conftest import make_settings
from tests.pages_support import csrf_from

KIOSK = "10.20.0.15"
HOME = "203.0.113.7"


@pytest.fixture
def counter_client(tmp_path: Any) -> Iterator[Any]:
    settings = make_settings(f"sqlite:///{tmp_path / 'kiosk.db'}", lookup={
        "rate_limit": "2 per minute", "code_rate_limit": "100 per hour",
        "kiosk_networks": ["10.20.0.0/24", "2001:db8::/64"],
        "kiosk_rate_limit": "5 per minute"})
    runtime = Runtime.from_settings(settings)
    Base.metadata.create_all(runtime.engine)
    yield create_app(runtime.settings, runtime).test_client()
    runtime.engine.dispose()


def post_from(client: Any, address: str, code: str) -> Any:
    token = csrf_from(client, "/tra-cuu")
    return client.post("/tra-cuu", data={"code": code, "factor": "1234", "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_kiosk_addresses_are_recognised() -> None:
    networks = ("10.20.0.0/24", "2001:db8::/64")
    assert is_kiosk("10.20.0.200", networks) and is_kiosk("2001:db8::7", networks)
    assert not is_kiosk("10.20.1.1", networks) and not is_kiosk("unknown", networks)
    assert not is_kiosk(None, networks) and not is_kiosk("10.20.0.1", ())


def test_a_kiosk_has_its_own_higher_limit(counter_client: Any) -> None:
    kiosk = [post_from(counter_client, KIOSK, f"K-{n}").status_code for n in range(6)]
    home = [post_from(counter_client, HOME, f"H-{n}").status_code for n in range(3)]
    assert kiosk == [404] * 5 + [429]
    # The kiosk's queue used none of an outside address's allowance, and the other way round.
    assert home == [404, 404, 429]


def test_the_429_page_keeps_the_typed_code_but_never_the_factor(counter_client: Any) -> None:
    for n in range(2):
        post_from(counter_client, HOME, f"H-{n}")
    refused = post_from(counter_client, HOME, "000.32.26.H26-260302-0007")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "quá nhiều lần" in page
    assert 'name="code" value="000.32.26.H26-260302-0007"' in page
    assert 'value="1234"' not in page
