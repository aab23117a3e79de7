"""Stand-in providers and a runtime whose notices go to them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jobs import notices as notices_job
from service.models import Base, CitizenNotice, Dossier
from service.models.notices import NoticeKind, NoticeState
from service.notices import NoticeReport
from service.notices.senders import build_senders
from service.runtime import Runtime
from tests.conftest import make_settings
from tests.fixtures.serving import serve
from tests.fixtures.sms.server import ESMS_POST, Gateway
from tests.fixtures.zalo.server import SEND_PATH, TOKEN_PATH, ZaloOA

ENVIRON = {"ESMS_API_KEY": "esms-api-key", "ZALO_APP_SECRET": "bi-mat-ung-dung"}
CODE = r'"CodeResult"\s*:\s*"{}"'
# Zalo approved these templates for the commune's OA: a parameter name each, filled from
# the values the configuration maps them to.
TEMPLATES = {
    "received": {"template_id": "301001", "fields": {
        "ma_ho_so": "code", "ten_thu_tuc": "procedure", "ngay_hen_tra": "due_date",
        "ma_tra_cuu": "secret"}},
    "supplement": {"template_id": "301002", "fields": {"ma_ho_so": "code", "noi_dung": "missing"}},
    "result": {"template_id": "301004", "fields": {"ma_ho_so": "code", "don_vi": "office"}},
}


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """The eSMS and SpeedSMS stand-in; `gateway.url` is its address."""
    state = Gateway()
    with serve(state.handle) as url:
        state.url = url
        yield state
        state.release.set()


@pytest.fixture
def oa() -> Iterator[ZaloOA]:
    """The Zalo stand-in with the commune's templates; `oa.url` is its address."""
    state = ZaloOA(templates={t["template_id"]: set(t["fields"]) for t in TEMPLATES.values()})
    with serve(state.handle) as url:
        state.url = url
        yield state
        state.release.set()


def esms_section(url: str, secret_file: Path, **changes: Any) -> dict[str, Any]:
    """[notices.sms] for eSMS's customer-care SMS, as its API page describes the call."""
    secret_file.write_text("esms-secret\n", encoding="utf-8")
    section = {
        "url": url + ESMS_POST, "method": "POST", "body": "json",
        "params": {"ApiKey": "{secret:api_key}", "SecretKey": "{secret:secret_key}",
                   "Phone": "{phone}", "Content": "{text}", "Brandname": "UBND-THANHMIEN",
                   "SmsType": "2", "IsUnicode": 0, "RequestId": "{request_id}"},
        "secrets": {"api_key": {"env": "ESMS_API_KEY"},
                    "secret_key": {"file": str(secret_file)}},
        "success": CODE.format("100"), "duplicate": [CODE.format("124")],
        "quota": [CODE.format("103")], "recipient_errors": [CODE.format("(99|108)")],
        "timeout_s": 0.5}
    section.update(changes)
    return section


def zalo_section(oa: ZaloOA, seed_env: str = "ZALO_REFRESH_TOKEN") -> dict[str, Any]:
    """[notices.zalo_zns] for the stand-in OA."""
    return {"app_id": oa.app_id, "secret_key": {"env": "ZALO_APP_SECRET"},
            "refresh_token": {"env": seed_env}, "send_url": oa.url + SEND_PATH,
            "token_url": oa.url + TOKEN_PATH, "timeout_s": 0.5, "templates": TEMPLATES}


@pytest.fixture
def notices_runtime(database_url: str) -> Iterator[Callable[..., Runtime]]:
    """Build the runtime of a test, with [notices] set to the given values; on SQLite and on
    PostgreSQL when it is configured."""
    made: list[Runtime] = []

    def build(**notices: Any) -> Runtime:
        assert not made, "one runtime a test: they would share the database"
        section = {"enabled": True, **notices}
        runtime = Runtime.from_settings(make_settings(
            database_url, notices=section,
            lookup={"public_url": "https://dichvucong.thanhmien.example.vn"}))
        Base.metadata.create_all(runtime.engine)
        made.append(runtime)
        return runtime

    yield build
    for runtime in made:
        runtime.engine.dispose()


def run_notices(runtime: Runtime, now: dt.datetime,
                environ: dict[str, str] | None = None) -> NoticeReport:
    """One run of the notices job with senders built from this environment."""
    settings = runtime.config
    senders = build_senders(settings.notices, environ or ENVIRON, runtime.sessions,
                            settings.timezone)
    try:
        outcome = notices_job.run(runtime, now, senders=senders)
    finally:
        for sender in senders.values():
            sender.close()
    assert outcome is not None and outcome.report is not None
    return outcome.report


def notices(runtime: Runtime) -> list[tuple[str, NoticeKind, NoticeState, str | None]]:
    with runtime.sessions() as session:
        return [(code, kind, state, reason) for code, kind, state, reason in session.execute(
            select(Dossier.code, CitizenNotice.kind, CitizenNotice.state, CitizenNotice.reason)
            .join(Dossier).order_by(CitizenNotice.id))]


def sms_runtime(build: Callable[..., Runtime], gateway: Gateway, tmp_path: Path,
                **notices: Any) -> Runtime:
    return build(channels=["sms"], sms=esms_section(gateway.url, tmp_path / "esms"), **notices)
