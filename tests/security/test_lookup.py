"""Attacks on the citizen lookup through the running server: typed placeholders as the second
factor, forged ratings, answers that tell a real code from an unknown one, links built from
the Host header and a QR code any cache may keep."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from sqlalchemy import select

from service.models import CitizenRating, Dossier
from tests.security.conftest import (
    DOSSIER_A,
    NO_PHONE_A,
    SHORT_PHONE_A,
    Answer,
    Browser,
    Stand,
    call,
)

NUL8 = "\x00" * 8
PROOF_RE = re.compile(r'name="proof" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="csrf_token" value="[^"]+"')
# Masked applicants of the seeded dossiers: seeing one means the dossier was opened.
SHOWN = {DOSSIER_A: "Nguyễn V. B.", NO_PHONE_A: "Trần T. H.", SHORT_PHONE_A: "Lê V. T."}
WRONG_CODE = DOSSIER_A[:-1] + "9"  # unknown, and as long as the real codes


def page_lookup(client: Browser, code: str, factor: str) -> Answer:
    """Send the lookup form as a browser does (form token first)."""
    token = client.csrf("/tra-cuu")
    return client.post("/tra-cuu", {"code": code, "factor": factor, "csrf_token": token})


def api_lookup(stand: Stand, code: str, factor: str, source: str) -> Answer:
    return call(stand.url, f"/api/v1/lookup/{code}?factor={urllib.parse.quote(factor)}",
                source=source)


def ratings(stand: Stand) -> dict[str, int]:
    """The stored ratings (those Decision 766 counts), by dossier code."""
    with stand.runtime.sessions() as session:
        rows = session.execute(select(Dossier.code, CitizenRating.score).join(
            CitizenRating, CitizenRating.dossier_id == Dossier.id)).all()
        return {code: score for code, score in rows}


@pytest.mark.parametrize("code, source", [(NO_PHONE_A, "127.0.0.11"),
                                          (SHORT_PHONE_A, "127.0.0.12")])
@pytest.mark.parametrize("factor", [NUL8, "\x00" * 4, "112", "\x00\x00\x00\x00112"])
def test_a_placeholder_never_opens_a_dossier_without_a_usable_phone(
        stand: Stand, code: str, source: str, factor: str) -> None:
    api = api_lookup(stand, code, factor, source)
    page = page_lookup(stand.browser(source), code, factor)
    assert (api.status, page.status) == (404, 404)
    assert SHOWN[code] not in api.text and SHOWN[code] not in page.text


@pytest.mark.parametrize("code, source", [(NO_PHONE_A, "127.0.0.21"),
                                          (SHORT_PHONE_A, "127.0.0.22")])
def test_the_receipt_secret_still_opens_a_dossier_without_a_usable_phone(
        stand: Stand, code: str, source: str) -> None:
    secret = stand.secret(code)
    assert api_lookup(stand, code, secret.lower(), source).status == 200
    page = page_lookup(stand.browser(source), code, secret)
    assert page.status == 200 and SHOWN[code] in page.text


def test_a_forged_rating_is_refused_and_the_766_ratings_stay(stand: Stand) -> None:
    before = ratings(stand)
    client = stand.browser("127.0.0.13")
    token = client.csrf("/tra-cuu")
    forged = [{"factor": NUL8}, {"factor": stand.secret(NO_PHONE_A)}, {"proof": "forged"},
              {"proof": "", "factor": ""}]
    for form in forged:
        answer = client.post("/tra-cuu/danh-gia", {"code": NO_PHONE_A, "score": "1",
                                                   "comment": "giả", "csrf_token": token,
                                                   **form})
        assert answer.status in (400, 403, 404), form
        assert "Cảm ơn" not in answer.text
    assert ratings(stand) == before
    # A proof earned on one dossier rates that dossier, whatever code the form names.
    shown = page_lookup(client, DOSSIER_A, "5678")
    found = PROOF_RE.search(shown.text)
    assert found, "a passed lookup carries a proof for the follow-up forms"
    assert "5678" not in shown.text.split("</h1>", 1)[1].split('id="form-title"')[0]
    answer = client.post("/tra-cuu/danh-gia", {"code": NO_PHONE_A, "proof": found.group(1),
                                               "score": "2", "csrf_token": token})
    assert answer.status == 200 and "Cảm ơn" in answer.text
    assert ratings(stand) == {**before, DOSSIER_A: 2}


def test_wrong_code_and_wrong_factor_answer_byte_for_byte_alike(stand: Stand) -> None:
    misses = [(WRONG_CODE, "5678"), (DOSSIER_A, "0000"), (DOSSIER_A, "12ab"),
              (DOSSIER_A, "ABCD234!"), (NO_PHONE_A, NUL8), (SHORT_PHONE_A, "\x00" * 8)]
    api = [api_lookup(stand, code, factor, "127.0.0.14") for code, factor in misses]
    assert {a.status for a in api} == {404}
    assert {a.body for a in api} == {api[0].body}
    assert {headers_of(a) for a in api} == {headers_of(api[0])}
    client = stand.browser("127.0.0.15")
    pages = [page_lookup(client, code, factor) for code, factor in misses]
    assert {p.status for p in pages} == {404}
    # The page keeps the code typed (as long as each of these) and carries a fresh form token.
    bodies = {TOKEN_RE.sub("TOKEN", p.text.replace(code, "CODE"))
              for p, (code, _) in zip(pages, misses, strict=True)}
    assert len(bodies) == 1
    assert {headers_of(p) for p in pages} == {headers_of(pages[0])}


def headers_of(answer: Answer) -> frozenset[tuple[str, str]]:
    return frozenset((k, v) for k, v in answer.headers.items() if k.lower() != "date")


def test_the_qr_code_is_cached_privately_and_ignores_the_host_header(stand: Stand) -> None:
    path = f"/tra-cuu/qr.svg?ma={DOSSIER_A}"
    plain = call(stand.url, path, source="127.0.0.16")
    spoofed = call(stand.url, path, headers={"Host": "evil.example"}, source="127.0.0.16")
    assert plain.status == spoofed.status == 200
    cache = plain.header("Cache-Control") or ""
    assert "private" in cache and "public" not in cache
    assert plain.body == spoofed.body


def test_the_receipt_links_to_the_public_url_whatever_the_host_header(stand: Stand) -> None:
    clerk = stand.signed_in("canbo_a", source="127.0.0.17")
    slip = clerk.get(f"/tra-cuu/phieu/{DOSSIER_A}", headers={"Host": "evil.example"})
    assert slip.status == 200
    assert "https://dichvucong.thanhmien.example/tra-cuu" in slip.text
    assert "evil.example" not in slip.text
    # The slip carries the lookup secret: no cache keeps it.
    assert slip.header("Cache-Control") == "no-store"
