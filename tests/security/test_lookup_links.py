"""Without `[lookup] public_url` the receipt and its QR code build no link from the Host
header: an attacker who sets it must not get a slip or a QR code pointing to their site."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import DOSSIER_A, Stand, call

EVIL = "evil.example"


@pytest.fixture(scope="module")
def stand_overrides() -> dict[str, Any]:
    return {"lookup": {"public_url": ""}}


def test_the_receipt_prints_no_link_taken_from_the_host_header(stand: Stand) -> None:
    clerk = stand.signed_in("canbo_a", source="127.0.0.31")
    slip = clerk.get(f"/tra-cuu/phieu/{DOSSIER_A}", headers={"Host": EVIL})
    assert slip.status == 200
    assert EVIL not in slip.text and "qr.svg" not in slip.text
    assert "chưa khai báo địa chỉ trang tra cứu" in slip.text
    assert stand.secret(DOSSIER_A) in slip.text  # the secret still opens the lookup


def test_the_qr_code_is_refused_rather_than_pointed_at_the_host_header(stand: Stand) -> None:
    path = f"/tra-cuu/qr.svg?ma={DOSSIER_A}"
    spoofed = call(stand.url, path, headers={"Host": EVIL}, source="127.0.0.32")
    plain = call(stand.url, path, source="127.0.0.32")
    assert spoofed.status == plain.status == 404
    assert EVIL.encode() not in spoofed.body and spoofed.body == plain.body
    assert "public_url" in spoofed.text and "chưa khai báo" in spoofed.text
    assert "private" in (spoofed.header("Cache-Control") or "")
