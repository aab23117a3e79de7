"""The webhook: tokens, signatures, size limit, invalid records and a valid batch."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from sqlalchemy import select

from service.models import ConnectorRun, Dossier, QuarantinedRecord
from service.runtime import Runtime
from service.users.tokens import issue_token
from service.vocabulary import Status
from service.web import create_app
from tests.conftest import local

TOKEN = "push-token-of-the-provincial-system"
SECRET = "hmac-secret-from-the-environment"
URL = "/api/v1/ingest/push"


@pytest.fixture
def client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TTHC_TEST_WEBHOOK_SECRET", SECRET)
    runtime.settings["connectors"]["push"] = {
        "type": "webhook", "token_sha256": hashlib.sha256(TOKEN.encode()).hexdigest(),
        "hmac_secret_env": "TTHC_TEST_WEBHOOK_SECRET", "unit_code": "000.32.26.H26",
        "unit_name": "UBND xã Thanh Miện", "max_body_bytes": 4096, "max_records": 10,
        "interval_minutes": 60}
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app.test_client()


def record(number: int, **changes: Any) -> dict[str, Any]:
    return {"code": f"000.32.26.H26-260302-{number:04d}", "procedure_code": "1.004873",
            "procedure_name": "Cấp Giấy xác nhận tình trạng hôn nhân",
            "domain_name": "Hộ tịch", "limit_value": 3, "limit_unit": "working_days",
            "applicant_name": "Nguyễn Văn Bình", "applicant_phone": "0912345678",
            "channel": 2, "status": 4, "received_at": "2026-03-02T08:15:00+07:00",
            "source_modified_at": "2026-03-02T09:00:00+07:00",
            "events": [{"at": "2026-03-02T08:15:00+07:00", "status": 2},
                       {"at": "2026-03-02T09:00:00+07:00", "status": 4}], **changes}


def post(client: Any, body: Any, token: str | None = TOKEN,
         headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return client.post(URL, data=data, headers=sent)


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-TTHC-Signature": "sha256=" + hmac.new(secret.encode(), body,
                                                     hashlib.sha256).hexdigest()}


def test_a_valid_batch_is_stored_with_per_record_results(client: Any,
                                                         runtime: Runtime) -> None:
    reply = post(client, {"records": [record(1), record(2, status=10,
                                                        finished_at="2026-03-03T10:00:00Z",
                                                        returned_at="2026-03-03T11:00:00Z")]})
    assert reply.status_code == 200, reply.json
    assert [r["result"] for r in reply.json["results"]] == ["created", "created"]
    again = post(client, [record(1)])
    assert again.json["results"] == [{"index": 0, "code": record(1)["code"],
                                      "result": "unchanged", "reason": None}]
    with runtime.sessions() as session:
        rows = {d.code: d for d in session.scalars(select(Dossier))}
        runs = session.scalars(select(ConnectorRun)).all()
    assert rows[record(2)["code"]].status is Status.RETURNED
    assert rows[record(1)["code"]].received_at == local(2026, 3, 2, 8, 15)
    assert [r.connector for r in runs] == ["push", "push"] and runs[0].created == 2


def test_invalid_records_are_quarantined_and_the_rest_lands(client: Any,
                                                            runtime: Runtime) -> None:
    body = [record(1), record(2, received_at="2026-03-02 08:15", channel=9),
            record(3, status="processing"), "not an object"]
    reply = post(client, body)
    results = reply.json["results"]
    assert reply.status_code == 200
    assert [r["result"] for r in results] == ["created", "rejected", "rejected", "rejected"]
    assert "channel" in results[1]["reason"] and "received_at" in results[1]["reason"]
    assert "«Trạng thái» (status): phải là số nguyên" in results[2]["reason"]
    assert reply.json["rejected"] == 3
    with runtime.sessions() as session:
        held = session.scalars(select(QuarantinedRecord)).all()
    assert len(held) == 3 and {q.connector for q in held} == {"push"}


def test_wrong_token_is_refused(client: Any, runtime: Runtime) -> None:
    assert post(client, [record(1)], token="guessed").status_code == 401
    assert post(client, [record(1)], token=None).status_code == 401
    with runtime.sessions() as session:
        assert session.scalar(select(Dossier)) is None


def test_hmac_signature_is_checked(client: Any) -> None:
    body = json.dumps([record(1)]).encode()
    assert post(client, body, token=None, headers=signed(body)).status_code == 200
    bad = signed(body, secret="another secret")
    assert post(client, body, token=None, headers=bad).status_code == 401
    tampered = body.replace(b"Nguy", b"Ngu_")
    assert post(client, tampered, token=None, headers=signed(body)).status_code == 401


def test_an_api_token_with_the_ingest_scope_is_accepted(client: Any,
                                                        runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        _, ingest = issue_token(session, "province", ["ingest"], local(2026, 3, 1))
        _, reader = issue_token(session, "viewer", ["read"], local(2026, 3, 1))
    assert post(client, [record(1)], token=ingest).status_code == 200
    assert post(client, [record(2)], token=reader).status_code == 401


def test_oversize_body_and_too_many_records_are_refused(client: Any) -> None:
    big = post(client, [record(n, summary="x" * 500) for n in range(10)])
    assert big.status_code == 413
    many = post(client, [record(n) for n in range(11)], headers={})
    assert many.status_code in (400, 413)


def test_a_body_that_is_not_json_or_a_connector_that_is_not_a_webhook(client: Any) -> None:
    assert post(client, b"{not json").status_code == 400
    assert client.post("/api/v1/ingest/simulator", json=[record(1)],
                       headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_webhook_token_command_prints_a_token_and_its_digest() -> None:
    from click.testing import CliRunner

    from service.cli import cli

    output = CliRunner().invoke(cli, ["webhook-token"]).output.splitlines()
    token = output[0].rsplit(" ", 1)[1]
    assert output[1] == f'token_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"'


def test_the_citizens_consent_to_notices_is_kept_as_pushed(client: Any,
                                                           runtime: Runtime) -> None:
    first = post(client, [record(1, notice_consent=False), record(2)])
    assert [r["result"] for r in first.json["results"]] == ["created", "created"]
    changed = post(client, [record(1, notice_consent=True), record(2)])
    assert [r["result"] for r in changed.json["results"]] == ["updated", "unchanged"]
    with runtime.sessions() as session:
        consent = dict(session.execute(select(Dossier.code, Dossier.notice_consent)).all())
    assert consent == {record(1)["code"]: True, record(2)["code"]: None}
    refused = post(client, [record(3, notice_consent="có")])
    assert refused.json["results"][0]["result"] == "rejected"
    assert "notice_consent" in refused.json["results"][0]["reason"]
