"""Scheduler handover: kill -9 mid-send, the standby sends the rest at once, nothing twice."""

from __future__ import annotations

import datetime as dt
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.alerts.claims import INTERRUPTED
from service.models import AlertDelivery, AlertMessage, Base
from service.models.alerts import DeliveryState
from service.runtime import Runtime
from tests.alerts_support import webhook_server
from tests.conftest import make_settings
from tests.processes import Process, clean_env
from tests.scheduler_support import add_dossiers, config_file, went_live


def scheduler(config: Path) -> Process:
    return Process([sys.executable, "-m", "jobs", "--config", str(config)], clean_env())


@pytest.mark.slow
def test_a_standby_sends_at_once_after_a_kill_mid_send_and_nothing_goes_twice(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'handover.db'}"
    runtime = Runtime.from_settings(make_settings(url))
    Base.metadata.create_all(runtime.engine)
    went_live(runtime)
    add_dossiers(runtime, "K-", 5, due_in=-dt.timedelta(minutes=1))  # overdue already
    with webhook_server(hold_first=True) as hook:
        config = config_file(tmp_path / "config.toml", url, hook.url)
        first = scheduler(config)
        second = None
        try:
            first.wait_for("lease acquired")
            second = scheduler(config)
            second.wait_for(r"lease held by .*; waiting")
            assert hook.wait_for(1, timeout=60), first.log()
            first.stop(signal.SIGKILL)  # mid-send: the first post is still open
            second.wait_for("lease acquired")
            second.wait_for(r"released 5 claim\(s\) of the previous scheduler")
            # Within a few seconds of the lease, not the 10 minutes the claims ran for.
            assert hook.wait_for(5, timeout=30), second.log()
            second.wait_for(r"1 delivery\(ies\) interrupted mid-send marked uncertain")
            assert second.stop() == 0
        finally:
            first.stop(signal.SIGKILL)
            if second is not None:
                second.stop(signal.SIGKILL)
        posts = [body["items"][0]["code"] for body, _ in hook.posts]
    assert sorted(posts) == [f"K-{i}" for i in range(5)]
    with runtime.sessions() as session:
        states = session.execute(select(AlertDelivery.state, AlertDelivery.attempts,
                                        AlertDelivery.last_error)).all()
        messages = session.scalar(select(func.count()).select_from(AlertMessage))
    assert sorted(states, key=lambda s: s[0].value) == [
        (DeliveryState.SENT, 1, None)] * 4 + [(DeliveryState.UNCERTAIN, 1, INTERRUPTED)]
    assert messages == 5
    runtime.engine.dispose()
