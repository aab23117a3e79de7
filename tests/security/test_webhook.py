"""Attacks on the push endpoint of a running server: another unit's dossier, a made-up unit, a
far-future stamp, a replayed or stale signature; and the correct push that still lands.

Two webhook connectors are configured as an office would: `push_a` for unit A and `push_b`
for unit B, each with its own HMAC secret (and `push_b` with a bearer token too).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from service.models import ConnectorRun, Dossier, Unit, WebhookReplay
from tests.conftest import UNIT_CODE
from tests.processes import ROOT
from tests.security.conftest import DOSSIER_A, UNIT_B, Answer, Stand, Status, call

SECRET_A = "bí-mật-của-hệ-thống-một-cửa-xã-A"
SECRET_B = "bí-mật-của-hệ-thống-một-cửa-xã-B"
TOKEN_B = "token-of-the-unit-b-sender-2026"
SECRET_README = "bí-mật-của-ví-dụ-trong-README"


@pytest.fixture(scope="module")
def stand_overrides() -> dict[str, Any]:
    return {"connectors": {
        "push_a": {"type": "webhook", "unit_code": UNIT_CODE,
                   "hmac_secret_env": "PUSH_A_HMAC_SECRET"},
        "push": {"type": "webhook", "unit_code": UNIT_CODE,
                 "hmac_secret_env": "TTHC_PUSH_HMAC_SECRET"},
        "push_b": {"type": "webhook", "unit_code": UNIT_B,
                   "hmac_secret_env": "PUSH_B_HMAC_SECRET",
                   "token_sha256": hashlib.sha256(TOKEN_B.encode()).hexdigest()}}}


@pytest.fixture(scope="module")
def stand_env() -> dict[str, str]:
    return {"PUSH_A_HMAC_SECRET": SECRET_A, "PUSH_B_HMAC_SECRET": SECRET_B,
            "TTHC_PUSH_HMAC_SECRET": SECRET_README}


def pushed(code: str, unit: str | None = UNIT_CODE, **changes: Any) -> dict[str, Any]:
    """A canonical record as a one-stop system pushes it (no source_modified_at unless given)."""
    values = {"code": code, "unit_code": unit, "procedure_code": "1.004873",
              "procedure_name": "Cấp Giấy xác nhận tình trạng hôn nhân",
              "domain_name": "Hộ tịch", "limit_value": 3, "limit_unit": "working_days",
              "applicant_name": "Nguyễn Văn Bình", "applicant_phone": "0912345678",
              "channel": 1, "status": 4, "received_at": "2026-11-30T08:15:00+07:00",
              "events": [{"at": "2026-11-30T08:15:00+07:00", "status": 2}], **changes}
    return {key: value for key, value in values.items() if value is not None}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the README tells senders to compute: hex HMAC-SHA256 of "<timestamp>.<body>"."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed(body: bytes, secret: str, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {"Content-Type": "application/json", "X-TTHC-Timestamp": timestamp,
            "X-TTHC-Signature": signature(secret, timestamp, body)}


def push(stand: Stand, connector: str, records: list[dict[str, Any]], secret: str,
         at: float | None = None) -> tuple[Answer, bytes, dict[str, str]]:
    """Sign and send records; the answer, and the body and headers to replay them with."""
    body = json.dumps(records, ensure_ascii=False).encode()
    headers = signed(body, secret, at)
    return call(stand.url, f"/api/v1/ingest/{connector}", "POST", headers=headers,
                body=body), body, headers


def results(answer: Answer) -> list[dict[str, Any]]:
    assert answer.status == 200, answer.text
    return json.loads(answer.body)["results"]


def message(answer: Answer) -> str:
    return json.loads(answer.body)["message"]


def test_a_push_for_unit_b_cannot_touch_a_unit_a_dossier(stand: Stand) -> None:
    before = stand.dossier(DOSSIER_A)
    attacks = [pushed(DOSSIER_A, UNIT_CODE, applicant_phone="0999999999"),
               pushed(DOSSIER_A, UNIT_B, applicant_phone="0999999999"),
               pushed(DOSSIER_A, None, applicant_phone="0999999999",
                      source_modified_at="2026-12-01T09:00:00+07:00")]
    found = [results(push(stand, "push_b", [attack], SECRET_B)[0])[0] for attack in attacks]
    assert [r["result"] for r in found] == ["rejected"] * 3
    assert found[0]["reason"] == (f"«Mã đơn vị» (unit_code) {UNIT_CODE}: kết nối push_b chỉ "
                                  f"được ghi hồ sơ của đơn vị {UNIT_B}")
    assert "do nguồn dữ liệu khác quản lý" in found[1]["reason"]
    assert "do nguồn dữ liệu khác quản lý" in found[2]["reason"]
    # Unit A's own connector may not rewrite a dossier another source stored either.
    own_unit, _, _ = push(stand, "push_a", attacks[:1], SECRET_A)
    assert "do nguồn dữ liệu khác quản lý" in results(own_unit)[0]["reason"]
    after = stand.dossier(DOSSIER_A)
    assert (after.applicant_phone, after.unit_id, after.source, after.fingerprint) == (
        "0912345678", before.unit_id, before.source, before.fingerprint)


def test_an_unknown_unit_is_refused_and_not_created(stand: Stand) -> None:
    code = "EVIL.NEW.UNIT-261201-0001"
    answer, _, _ = push(stand, "push_a", [pushed(code, "EVIL.NEW.UNIT",
                                                 unit_name="<b>Evil unit</b>")], SECRET_A)
    assert results(answer)[0]["result"] == "rejected"
    assert "EVIL.NEW.UNIT" in results(answer)[0]["reason"]
    with stand.runtime.sessions() as session:
        assert session.scalar(select(Unit).where(Unit.code == "EVIL.NEW.UNIT")) is None
        assert session.scalar(select(Unit).where(Unit.name.contains("Evil"))) is None
    assert stand.dossier(code) is None


def test_a_source_modified_at_in_2030_is_refused(stand: Stand) -> None:
    code = f"{UNIT_CODE}-261201-0030"
    frozen = pushed(code, source_modified_at="2030-01-01T00:00:00+07:00")
    answer, _, _ = push(stand, "push_a", [frozen], SECRET_A)
    found = results(answer)[0]
    assert found["result"] == "rejected" and "source_modified_at" in found["reason"]
    assert "ở tương lai" in found["reason"]
    assert stand.dossier(code) is None
    # The correct push that follows is stored: nothing froze the dossier.
    correct, _, _ = push(stand, "push_a", [pushed(code, source_modified_at=(
        "2026-12-01T09:00:00+07:00"))], SECRET_A)
    assert results(correct)[0]["result"] == "created"


def test_a_replayed_signed_body_is_refused_and_the_finished_dossier_stays_finished(
        stand: Stand) -> None:
    code = f"{UNIT_CODE}-261201-0040"
    first, old_body, old_headers = push(stand, "push_a", [pushed(code)], SECRET_A)
    assert results(first)[0]["result"] == "created"
    finished = pushed(code, status=10, finished_at="2026-12-01T10:00:00+07:00",
                      returned_at="2026-12-01T11:00:00+07:00",
                      events=[{"at": "2026-12-01T11:00:00+07:00", "status": 10}])
    done, _, _ = push(stand, "push_a", [finished], SECRET_A)
    assert results(done)[0]["result"] == "updated"
    with stand.runtime.sessions() as session:
        runs = session.scalar(select(func.count()).select_from(ConnectorRun))
    replay = call(stand.url, "/api/v1/ingest/push_a", "POST", headers=old_headers,
                  body=old_body)
    assert replay.status == 409, replay.text
    assert "đã được nhận trước đó" in message(replay)
    row = stand.dossier(code)
    assert (row.status, row.is_open) == (Status.RETURNED, False)
    with stand.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConnectorRun)) == runs
        assert session.scalar(select(func.count()).select_from(WebhookReplay)) >= 2


def test_copies_of_a_signed_push_raced_in_at_once_are_stored_once(stand: Stand) -> None:
    code = f"{UNIT_CODE}-261201-0045"
    body = json.dumps([pushed(code)]).encode()
    headers = signed(body, SECRET_A)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda source: call(
            stand.url, "/api/v1/ingest/push_a", "POST", headers=headers, body=body,
            source=source), [f"127.0.0.{n}" for n in range(2, 8)]))
    assert sorted(a.status for a in answers) == [200, *[409] * 5], [a.text for a in answers]
    with stand.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)
                              .where(Dossier.code == code)) == 1


def test_a_stale_or_future_timestamp_is_refused(stand: Stand) -> None:
    code = f"{UNIT_CODE}-261201-0050"
    for drift in (-301, -3600, 600):
        answer, _, _ = push(stand, "push_a", [pushed(code)], SECRET_A,
                            at=time.time() + drift)
        assert answer.status == 401, (drift, answer.text)
        assert "X-TTHC-Timestamp lệch" in message(answer)
    assert stand.dossier(code) is None


def test_a_signature_of_the_body_alone_is_refused(stand: Stand) -> None:
    code = f"{UNIT_CODE}-261201-0060"
    body = json.dumps([pushed(code)]).encode()
    digest = hmac.new(SECRET_A.encode(), body, hashlib.sha256).hexdigest()
    for headers in ({"X-TTHC-Signature": f"sha256={digest}"},
                    {"X-TTHC-Signature": digest, "X-TTHC-Timestamp": str(int(time.time()))}):
        answer = call(stand.url, "/api/v1/ingest/push_a", "POST", body=body,
                      headers={"Content-Type": "application/json", **headers})
        assert answer.status == 401, answer.text
    assert stand.dossier(code) is None


def test_correct_pushes_are_accepted_and_update_their_own_dossiers(stand: Stand) -> None:
    code_a, code_b = f"{UNIT_CODE}-261201-0070", f"{UNIT_B}-261201-0070"
    answer, _, _ = push(stand, "push_a", [pushed(code_a)], SECRET_A)
    assert results(answer)[0]["result"] == "created"
    by_token = call(stand.url, "/api/v1/ingest/push_b", "POST",
                    body=json.dumps([pushed(code_b, None)]),
                    headers={"Content-Type": "application/json",
                             "Authorization": f"Bearer {TOKEN_B}"})
    assert results(by_token)[0]["result"] == "created"
    later, _, _ = push(stand, "push_a", [pushed(code_a, applicant_phone="0911222333")],
                       SECRET_A)
    assert results(later)[0]["result"] == "updated"
    assert stand.dossier(code_a).applicant_phone == "0911222333"
    assert stand.dossier(code_a).source == "push_a"
    with stand.runtime.sessions() as session:
        unit_b = session.scalar(select(Unit.id).where(Unit.code == UNIT_B))
        assert session.scalar(select(Dossier.unit_id).where(Dossier.code == code_b)) == unit_b


def test_the_readme_snippet_for_senders_pushes_a_signed_record(
        stand: Stand, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    webhook = readme[readme.index("**Webhook.**"):readme.index("**What a push may write.**")]
    snippet = re.search(r"```python\n(.*?)```", webhook, re.S).group(1)
    snippet = snippet.replace("https://tthc.thanhmien.example", stand.url)
    monkeypatch.setenv("TTHC_PUSH_HMAC_SECRET", SECRET_README)
    code = f"{UNIT_CODE}-261201-0080"
    scope: dict[str, Any] = {"records": [pushed(code)]}
    exec(compile(snippet, "README.md", "exec"), scope)  # as a sender would run it
    assert json.loads(scope["answer"].content)["results"][0]["result"] == "created"
    assert stand.dossier(code).source == "push"
