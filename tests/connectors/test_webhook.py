"""The webhook: tokens, signatures, replays, size limit, invalid records and a valid batch."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from service.cli.context import load_settings
from service.cli.preflight import check_connectors
from service.config import ConfigError
from service.ingest import quarantine
from service.ingest.imports import connector_for
from service.models import ConnectorRun, Dossier, QuarantinedRecord, Unit, WebhookReplay
from service.runtime import Runtime
from service.users.tokens import issue_token
from service.vocabulary import Status
from service.web import create_app
from tests import builders
from tests.conftest import local
from tests.webhook_support import SECRET, TOKEN, add_units, post, reconfigure, record, signed


@pytest.fixture
def client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TTHC_TEST_WEBHOOK_SECRET", SECRET)
    runtime.settings["connectors"]["push"] = {
        "type": "webhook", "token_sha256": hashlib.sha256(TOKEN.encode()).hexdigest(),
        "hmac_secret_env": "TTHC_TEST_WEBHOOK_SECRET", "unit_code": "000.32.26.H26",
        "unit_name": "UBND xã Thanh Miện", "max_body_bytes": 4096, "max_records": 10,
        "interval_minutes": 60}
    reconfigure(runtime)
    add_units(runtime)
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app.test_client()



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
    again = json.dumps([record(2)]).encode()
    prefixed = signed(again, prefix="sha256=")
    assert post(client, again, token=None, headers=prefixed).status_code == 200
    bad = signed(body, secret="another secret")
    assert post(client, body, token=None, headers=bad).status_code == 401
    tampered = body.replace(b"Nguy", b"Ngu_")
    assert post(client, tampered, token=None, headers=signed(body)).status_code == 401


def test_a_signature_of_the_body_alone_or_without_a_timestamp_is_refused(client: Any,
                                                                         runtime: Runtime
                                                                         ) -> None:
    body = json.dumps([record(1)]).encode()
    body_only = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    reply = post(client, body, token=None, headers={"X-TTHC-Signature": body_only})
    assert reply.status_code == 401 and "X-TTHC-Timestamp" in reply.json["message"]
    moved = signed(body)
    moved["X-TTHC-Timestamp"] = str(int(moved["X-TTHC-Timestamp"]) + 1)
    assert post(client, body, token=None, headers=moved).status_code == 401
    odd = {"X-TTHC-Timestamp": "١٧٠٠٠٠٠٠٠٠", "X-TTHC-Signature": "é" * 64}
    assert post(client, body, token=None, headers=odd).status_code == 401
    with runtime.sessions() as session:
        assert session.scalar(select(Dossier)) is None


def test_a_signed_push_is_accepted_once(client: Any, runtime: Runtime) -> None:
    body = json.dumps([record(1, status=10, finished_at="2026-03-03T10:00:00Z",
                              returned_at="2026-03-03T11:00:00Z")]).encode()
    headers = signed(body)
    assert post(client, body, token=None, headers=headers).status_code == 200
    shouted = {**headers, "X-TTHC-Signature": "SHA256=" + headers["X-TTHC-Signature"].upper()}
    for copy in (headers, shouted):
        replay = post(client, body, token=None, headers=copy)
        assert replay.status_code == 409
        assert "đã được nhận trước đó" in replay.json["message"]
    with runtime.sessions() as session:
        assert session.scalar(select(Dossier.status)) is Status.RETURNED
        assert len(session.scalars(select(ConnectorRun)).all()) == 1
        assert session.scalar(select(WebhookReplay.connector)) == "push"
    # The same records signed anew (a sender's retry) are accepted, and change nothing.
    retried = post(client, body, token=None, headers=signed(body, at=int(time.time()) + 1))
    assert retried.json["results"][0]["result"] == "unchanged"


def test_a_stale_or_early_timestamp_is_refused(client: Any, runtime: Runtime) -> None:
    body = json.dumps([record(1)]).encode()
    for drift in (-301, 400, -86_400 * 365):
        reply = post(client, body, token=None, headers=signed(body, at=int(time.time()) + drift))
        assert reply.status_code == 401, drift
        assert "lệch" in reply.json["message"]
    assert post(client, body, token=None,
                headers=signed(body, at=int(time.time()) - 240)).status_code == 200
    with runtime.sessions() as session:
        assert len(session.scalars(select(Dossier)).all()) == 1


def test_old_replay_entries_are_pruned(client: Any, runtime: Runtime) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    with runtime.sessions.begin() as session:
        session.add(WebhookReplay(signature="0" * 64, connector="push", seen_at=old))
        # Another connector's row is left to it: its window may be longer.
        session.add(WebhookReplay(signature="1" * 64, connector="other", seen_at=old))
    body = json.dumps([record(1)]).encode()
    assert post(client, body, token=None, headers=signed(body)).status_code == 200
    with runtime.sessions() as session:
        kept = set(session.scalars(select(WebhookReplay.signature)))
    assert "0" * 64 not in kept and "1" * 64 in kept and len(kept) == 2


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


def test_a_record_for_another_unit_is_refused_and_no_unit_is_created(
        client: Any, runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        session.add(Unit(code="000.32.27.H26", name="UBND xã Ngũ Hùng"))
    reply = post(client, [record(1, unit_code="000.32.27.H26"),
                          record(2, unit_code="EVIL.NEW.UNIT", unit_name="<b>Evil unit</b>"),
                          record(3)])
    results = reply.json["results"]
    assert [r["result"] for r in results] == ["rejected", "rejected", "created"]
    assert results[0]["reason"] == ("«Mã đơn vị» (unit_code) 000.32.27.H26: kết nối push chỉ "
                                    "được ghi hồ sơ của đơn vị 000.32.26.H26")
    assert "EVIL.NEW.UNIT" in results[1]["reason"]
    with runtime.sessions() as session:
        units = set(session.scalars(select(Unit.code)))
        codes = set(session.scalars(select(Dossier.code)))
    assert units == {"000.32.26.H26", "000.32.27.H26"}
    assert codes == {record(3)["code"]}


def test_a_configured_unit_missing_from_the_database_is_not_created(
        client: Any, runtime: Runtime) -> None:
    runtime.settings["connectors"]["push"]["unit_codes"] = ["000.32.26.H26", "000.32.99.H26"]
    reconfigure(runtime)
    reply = post(client, [record(1, unit_code="000.32.99.H26", unit_name="Xã mới")])
    assert reply.json["results"][0]["result"] == "rejected"
    assert "không có trong danh mục đơn vị" in reply.json["results"][0]["reason"]
    with runtime.sessions() as session:
        assert set(session.scalars(select(Unit.code))) == {"000.32.26.H26"}


def test_a_dossier_another_source_stored_is_not_touched(client: Any,
                                                        runtime: Runtime) -> None:
    kept = builders.record(record(1)["code"], local(2026, 3, 2, 8), applicant_phone="0900000001")
    builders.ingest(runtime, local(2026, 3, 2, 9), kept, source="opencps")
    reply = post(client, [record(1, applicant_phone="0999999999", status=10,
                                 finished_at="2026-03-03T10:00:00Z",
                                 events=[{"at": "2026-03-03T10:00:00Z", "status": 10}])])
    result = reply.json["results"][0]
    assert result["result"] == "rejected"
    assert "do nguồn dữ liệu khác quản lý" in result["reason"]
    with runtime.sessions() as session:
        row = session.scalar(select(Dossier))
        assert (row.applicant_phone, row.status, row.source) == (
            "0900000001", Status.PROCESSING, "opencps")
        assert [e.status for e in row.events] == [Status.ACCEPTED]


def test_a_source_modified_at_in_the_future_is_refused(client: Any, runtime: Runtime) -> None:
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).isoformat()
    reply = post(client, [record(1, source_modified_at="2030-01-01T00:00:00+07:00"),
                          record(2, source_modified_at=soon)])
    results = reply.json["results"]
    assert [r["result"] for r in results] == ["rejected", "created"]
    assert results[0]["reason"] == (
        "«Ngày cập nhật» (source_modified_at) 01/01/2030 00:00 (giờ Việt Nam): ở tương lai, quá "
        "5 phút so với giờ máy chủ; hãy kiểm tra đồng hồ của hệ thống gửi")
    # A later, correct push of the refused dossier is stored, not frozen out.
    assert post(client, [record(1)]).json["results"][0]["result"] == "created"


def test_a_refused_push_retried_from_quarantine_stays_refused(client: Any,
                                                              runtime: Runtime) -> None:
    post(client, [record(1, unit_code="EVIL.NEW.UNIT")])
    with runtime.sessions.begin() as session:
        item = session.scalar(select(QuarantinedRecord))
        result = quarantine.retry(session, [item.id], runtime.derive, runtime.now(),
                                  connector_for(runtime.config))[0]
    assert not result.resolved and "EVIL.NEW.UNIT" in result.reason
    with runtime.sessions() as session:
        assert session.scalar(select(Dossier)) is None
        assert set(session.scalars(select(Unit.code))) == {"000.32.26.H26"}


def test_several_units_and_the_default_one(client: Any, runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        session.add(Unit(code="000.32.27.H26", name="UBND xã Ngũ Hùng"))
    runtime.settings["connectors"]["push"].update(
        unit_code=None, unit_codes=["000.32.26.H26", "000.32.27.H26"])
    reconfigure(runtime)
    reply = post(client, [record(1, unit_code="000.32.27.H26"), record(2)])
    assert [r["result"] for r in reply.json["results"]] == ["created", "rejected"]
    assert "kết nối không có đơn vị mặc định" in reply.json["results"][1]["reason"]


def test_a_webhook_without_units_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match=r"connectors\.push\.unit_code.*unit_codes"):
        load_settings("config.toml", environ={}, overrides={
            "connectors": {"push": {"type": "webhook", "token_sha256": "0" * 64}}})


def test_the_commented_example_of_config_toml_loads() -> None:
    text = Path("config.toml").read_text(encoding="utf-8")
    block = text[text.index("# [connectors.push]"):text.index("# max_records = 500") + 20]
    example = tomllib.loads("\n".join(line[2:] for line in block.splitlines())
                           .replace("<64 hex digits>", "0" * 64))
    settings = load_settings("config.toml", environ={}, overrides=example)
    push = settings["connectors"]["push"]
    assert (push["signature_window_seconds"], push["clock_skew_seconds"]) == (300, 300)


def test_the_preflight_names_a_webhook_unit_missing_from_the_configuration(
        runtime: Runtime) -> None:
    runtime.settings["connectors"] = {"push": {
        "type": "webhook", "token_sha256": "0" * 64, "unit_codes": ["000.32.26.H26", "X.1"]}}
    reconfigure(runtime)
    (check,) = check_connectors(runtime, runtime.now())
    assert (check.level, check.detail) == (
        "fail", "ValueError: units X.1 are not in [[units]]: their pushed records are refused")


def test_a_dossier_frozen_by_a_future_stamp_before_the_check_takes_a_correct_push(
        client: Any, runtime: Runtime) -> None:
    frozen = builders.record(record(1)["code"], local(2026, 3, 2, 8),
                             modified=local(2030, 1, 1), applicant_phone="0999999999")
    builders.ingest(runtime, local(2026, 3, 2, 9), frozen, source="push")
    reply = post(client, [record(1)])
    assert reply.json["results"][0]["result"] == "updated"
    with runtime.sessions() as session:
        row = session.scalar(select(Dossier))
    assert (row.applicant_phone, row.source_modified_at) == ("0912345678", local(2026, 3, 2, 9))
