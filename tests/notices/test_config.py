"""[notices] is checked at start-up: errors name the key; credentials are references only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from jobs import notices as notices_job
from service.config import ConfigError
from service.config.settings import Settings
from service.models import CitizenNotice
from service.notices.senders import SetupError, build_senders
from service.runtime import Runtime
from tests.builders import ingest, record
from tests.conftest import local, make_settings
from tests.fixtures.sms.server import Gateway
from tests.notices.conftest import esms_section

URL = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/"


def load(tmp_path: Path, **notices: Any) -> dict[str, Any]:
    return make_settings(f"sqlite:///{tmp_path / 'c.db'}", notices=notices)


def sms(**changes: Any) -> dict[str, Any]:
    section = {"url": URL, "params": {"Phone": "{phone}", "Content": "{text}"},
               "success": '"CodeResult":"100"'}
    section.update(changes)
    return section


@pytest.mark.parametrize(("notices", "message"), [
    ({"sms": sms(params={"Phone": "{phone}", "Content": "{text}", "ApiKey": "4f9a0c"})},
     "key 'notices.sms.params.ApiKey' (got '4f9a0c'): params.ApiKey carries a credential"),
    ({"sms": sms(basic_auth="token-in-clear:x")},
     "key 'notices.sms.basic_auth.value': basic_auth carries a credential"),
    ({"sms": sms(params={"Phone": "{phone}", "Content": "{text}", "Key": "{secret:api}"})},
     "key 'notices.sms.params.Key' (got '{secret:api}'): {secret:api} names no entry"),
    ({"sms": sms(params={"Phone": "{mobile}", "Content": "{text}"})},
     "key 'notices.sms.params.Phone' (got '{mobile}'): unknown placeholder {mobile}"),
    ({"sms": sms(params={"Content": "{text}"})},
     "key 'notices.sms.params' (got {'Content': '{text}'}): no parameter carries {phone}"),
    ({"sms": sms(success="")}, "key 'notices.sms.success' (got ''): required"),
    ({"sms": sms(success="(unclosed")}, "key 'notices.sms.success' (got '(unclosed'): not a "
                                         "regular expression"),
    ({"sms": sms(secrets={"api": {"env": "A", "file": "/run/secrets/a"}})},
     "key 'notices.sms.secrets.api.value._schema': give exactly one of env"),
    ({"zalo_zns": {"app_id": "4291763606161179100"}},
     "key 'notices.zalo_zns.secret_key': required with app_id"),
    ({"zalo_zns": {"templates": {"greeting": {"template_id": "1", "fields": {"a": "code"}}}}},
     "key 'notices.zalo_zns.templates.greeting.key'"),
    ({"zalo_zns": {"templates": {"received": {"template_id": "1", "fields": {"a": "phone"}}}}},
     "key 'notices.zalo_zns.templates.received.value.fields.a.value': Must be one of: office"),
    ({"enabled": True, "channels": ["sms"]},
     "key 'notices.channels' (got ['sms']): 'sms' is listed but [notices.sms] has no url"),
    ({"channels": ["sms", "sms"]}, "key 'notices.channels' (got ['sms', 'sms']): a channel is "
                                   "listed twice"),
])
def test_a_bad_notices_section_is_refused_naming_the_key(tmp_path: Path, notices: dict[str, Any],
                                                         message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **notices)
    assert message in str(caught.value)


def test_a_missing_credential_names_its_key(tmp_path: Path) -> None:
    settings = load(tmp_path, sms=sms(params={"Phone": "{phone}", "Content": "{text}",
                                              "ApiKey": "{secret:api_key}"},
                                      secrets={"api_key": {"env": "ESMS_API_KEY"}}))
    runtime = Runtime.from_settings(settings)
    with pytest.raises(SetupError, match=r"notices\.sms\.secrets\.api_key: environment "
                                         r"variable ESMS_API_KEY is not set"):
        build_senders(Settings.from_dict(settings).notices, {}, runtime.sessions,
                      settings["timezone"])
    missing = {"file": str(tmp_path / "absent")}
    settings["notices"]["sms"]["secrets"]["api_key"] = missing
    with pytest.raises(SetupError, match=r"notices\.sms\.secrets\.api_key: cannot read .*absent"):
        build_senders(Settings.from_dict(settings).notices, {}, runtime.sessions,
                      settings["timezone"])
    runtime.engine.dispose()


def test_events_are_still_collected_while_a_credential_is_missing(
        notices_runtime: Callable[..., Runtime], gateway: Gateway, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    runtime = notices_runtime(channels=["sms"], sms=esms_section(gateway.url, tmp_path / "e"))
    monkeypatch.delenv("ESMS_API_KEY", raising=False)
    received = local(2026, 3, 2, 9)
    ingest(runtime, received, record("C-1", received))
    with caplog.at_level(logging.ERROR, logger="jobs.notices"):
        outcome = notices_job.run(runtime, local(2026, 3, 2, 9, 5))
    assert outcome is not None and (outcome.added, outcome.report) == (1, None)
    assert "ESMS_API_KEY is not set" in caplog.text
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CitizenNotice)) == 1
    assert gateway.sent == []
