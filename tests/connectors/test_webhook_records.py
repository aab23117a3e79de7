"""Each pushed record is checked on its own: bad ones quarantined by name, good ones stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from migrations import upgrade
from service.models import ConnectorRun, Dossier, QuarantinedRecord, WebhookReplay
from service.runtime import Runtime
from service.web import create_app
from tests.conftest import make_settings
from tests.webhook_support import SECRET, TOKEN, add_units, post, record, signed


@pytest.fixture
def pushed(database_url: str, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[Any, Runtime]]:
    """A test client on SQLite and on PostgreSQL, whose push connector takes 10 records."""
    monkeypatch.setenv("TTHC_TEST_WEBHOOK_SECRET", SECRET)
    runtime = Runtime.from_settings(make_settings(database_url, connectors={"push": {
        "type": "webhook", "token_sha256": hashlib.sha256(TOKEN.encode()).hexdigest(),
        "hmac_secret_env": "TTHC_TEST_WEBHOOK_SECRET",
        "unit_code": "000.32.26.H26", "max_body_bytes": 8192, "max_records": 10}}))
    upgrade(runtime.engine)
    add_units(runtime)
    app = create_app(runtime.settings, runtime)
    yield app.test_client(), runtime
    runtime.engine.dispose()


BAD = {
    "received_at": record(2, received_at="0001-01-01T00:00:00+07:00"),
    "events[0].at": record(3, events=[{"at": "9999-12-31T23:59:59+07:00", "status": 4}]),
    "nested": record(4, summary=[[[[[[[[["sâu"]]]]]]]]]),
    "applicant_name": record(5, applicant_name="Nguyễn \ud800 Bình"),
    "handler": record(6, handler="Công an\x00xã"),
}


def test_bad_records_are_quarantined_and_the_good_ones_stored(
        pushed: tuple[Any, Runtime]) -> None:
    client, runtime = pushed
    reply = post(client, [record(1), *BAD.values(), record(7)])
    assert reply.status_code == 200, reply.json
    results = reply.json["results"]
    assert [r["result"] for r in results] == ["created", *["rejected"] * 5, "created"]
    reasons = [r["reason"] for r in results[1:6]]
    # Each reason names the record, the field and what was expected, as a clerk reads it.
    assert reasons[0] == ("Bản ghi số 2: «Ngày tiếp nhận» (received_at): phải là thời điểm "
                          "trong khoảng năm 1900 đến 2100")
    assert "events.0.at: phải là thời điểm trong khoảng năm 1900 đến 2100" in reasons[1]
    assert "lồng sâu quá 8 tầng" in reasons[2]
    assert "applicant_name: văn bản chứa ký tự không hợp lệ" in reasons[3]
    assert "handler: văn bản chứa ký tự không hợp lệ (nửa cặp surrogate hoặc NUL)" in reasons[4]
    with runtime.sessions() as session:
        codes = set(session.scalars(select(Dossier.code)))
        kept = session.scalar(select(func.count()).select_from(QuarantinedRecord))
        names = list(session.scalars(select(QuarantinedRecord.payload)))
    assert codes == {record(1)["code"], record(7)["code"]}
    assert kept == 5
    assert {"Nguyễn \ufffd Bình", "Công an\ufffdxã"} <= {
        p.get("applicant_name") for p in names} | {p.get("handler") for p in names}


def test_a_record_nested_hundreds_deep_is_refused_alone(pushed: tuple[Any, Runtime]) -> None:
    client, runtime = pushed
    deep: Any = "sâu"
    for _ in range(900):  # valid JSON the parser takes, far deeper than a record may nest
        deep = [deep]
    reply = post(client, [record(1), record(2, summary=deep), record(3)])
    assert reply.status_code == 200, reply.json
    assert [r["result"] for r in reply.json["results"]] == ["created", "rejected", "created"]
    assert "lồng sâu quá 8 tầng" in reply.json["results"][1]["reason"]
    with runtime.sessions() as session:
        assert set(session.scalars(select(Dossier.code))) == {record(1)["code"],
                                                              record(3)["code"]}


def test_a_body_nested_beyond_the_parser_is_refused_not_a_server_error(
        pushed: tuple[Any, Runtime]) -> None:
    client, _ = pushed
    reply = post(client, b"[" * 3000 + b"]" * 3000)
    assert reply.status_code == 400
    assert "nests too deeply" in reply.json["message"]


def test_copies_of_a_signed_push_sent_at_once_are_stored_once(
        pushed: tuple[Any, Runtime]) -> None:
    client, runtime = pushed
    body = json.dumps([record(1), record(2)]).encode()
    headers = signed(body)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: post(client, body, token=None, headers=headers),
                                range(4)))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 2
        assert session.scalar(select(func.count()).select_from(ConnectorRun)) == 1
        assert session.scalar(select(func.count()).select_from(WebhookReplay)) == 1
