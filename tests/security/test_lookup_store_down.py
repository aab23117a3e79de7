"""The lookup limits hold when the shared rate-limit store (Redis) is down: counted in the
process's memory meanwhile, so four phone digits cannot be guessed while Redis is away."""

from __future__ import annotations

from typing import Any

import pytest

from tests.processes import free_port
from tests.security.conftest import DOSSIER_A, Stand, call

KIOSK = "127.0.1.5"


@pytest.fixture(scope="module")
def stand_overrides() -> dict[str, Any]:
    # Nothing listens on this port: every call to the store fails at once.
    return {"web": {"ratelimit_storage": f"redis://127.0.0.1:{free_port()}/0"},
            "lookup": {"rate_limit": "10 per minute;60 per hour",
                       "code_rate_limit": "20 per hour",
                       "kiosk_networks": ["127.0.1.0/24"],
                       "kiosk_rate_limit": "15 per minute"}}


def guess(stand: Stand, code: str, factor: str, source: str) -> int:
    return call(stand.url, f"/api/v1/lookup/{code}?factor={factor}", source=source).status


def test_guesses_past_the_address_limit_get_429_with_the_store_down(stand: Stand) -> None:
    codes = [guess(stand, f"000.32.26.H26-261130-9{n:03d}", "1234", "127.0.0.41")
             for n in range(14)]
    assert codes == [404] * 10 + [429] * 4
    assert "rate-limit storage unreachable" in stand.process.log()


def test_guesses_on_one_code_from_many_addresses_get_429_with_the_store_down(stand: Stand
                                                                            ) -> None:
    codes = [guess(stand, DOSSIER_A, f"{n:04d}", f"127.0.0.{50 + n // 5}") for n in range(22)]
    assert codes == [404] * 20 + [429] * 2
    # Past its failure limit the code is refused even with the right digits.
    assert guess(stand, DOSSIER_A, "5678", "127.0.0.60") == 429


def test_the_page_keeps_the_typed_code_on_its_429_with_the_store_down(stand: Stand) -> None:
    client = stand.browser("127.0.0.42")
    token = client.csrf("/tra-cuu")
    answers = [client.post("/tra-cuu", {"code": f"000.32.26.H26-261130-8{n:03d}",
                                        "factor": "1234", "csrf_token": token})
               for n in range(11)]
    assert [a.status for a in answers] == [404] * 10 + [429]
    assert 'value="000.32.26.H26-261130-8010"' in answers[-1].text
    assert "quá nhiều lần" in answers[-1].text and answers[-1].header("Retry-After") == "60"


def test_a_kiosk_keeps_its_own_limit_with_the_store_down(stand: Stand) -> None:
    codes = [guess(stand, f"000.32.26.H26-261130-7{n:03d}", "1234", KIOSK) for n in range(16)]
    assert codes == [404] * 15 + [429]
