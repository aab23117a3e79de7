"""Going live on a backlog: alerts recorded, one summary digest per recipient, not one each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jobs import alerts as alerts_job
from jobs import scan as scan_job
from service.models import Alert, AlertDelivery, AlertDigest, Base
from service.runtime import Runtime
from tests.alerts_support import Hook, webhook_server
from tests.conftest import make_settings
from tests.scheduler_support import RECIPIENT, add_dossiers


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Runtime, Hook]]:
    with webhook_server() as hook:
        runtime = Runtime.from_settings(make_settings(
            f"sqlite:///{tmp_path / 'live.db'}", alerts={
                "office_hours_only": False, "digest_threshold": 1000, "baseline_threshold": 5,
                "webhook": {"url": hook.url}, "recipients": [RECIPIENT]}))
        Base.metadata.create_all(runtime.engine)
        yield runtime, hook
        runtime.engine.dispose()


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_first_scan_sends_each_recipient_one_summary(live: tuple[Runtime, Hook]) -> None:
    runtime, hook = live
    add_dossiers(runtime, "CU-", 4, due_in=-dt.timedelta(days=3))  # the backlog, overdue
    add_dossiers(runtime, "MOI-", 2, due_in=dt.timedelta(days=5))
    outcome = scan_job.run(runtime, dt.datetime.now(dt.UTC))
    # Overdue three days: level 1, and the level-2 escalation (past 2 working days).
    assert outcome.alerts is not None and outcome.alerts.total == 8
    assert (count(runtime, Alert), count(runtime, AlertDelivery), count(runtime, AlertDigest)) \
        == (8, 0, 1)
    report = alerts_job.run(runtime, dt.datetime.now(dt.UTC))
    assert report is not None and report.sent == 1
    assert len(hook.posts) == 1
    assert sorted(item["code"] for item in hook.posts[0][0]["items"]) == [
        f"CU-{i}" for i in range(4)]


def test_a_bulk_import_is_summarised_and_later_dossiers_alert_one_by_one(
        live: tuple[Runtime, Hook]) -> None:
    runtime, hook = live
    scan_job.run(runtime, dt.datetime.now(dt.UTC))  # live on an empty database
    add_dossiers(runtime, "NHAP-", 6, due_in=-dt.timedelta(days=1))  # more than 5 at once
    scan_job.run(runtime, dt.datetime.now(dt.UTC))
    alerts_job.run(runtime, dt.datetime.now(dt.UTC))
    add_dossiers(runtime, "SAU-", 2, due_in=-dt.timedelta(minutes=1))
    scan_job.run(runtime, dt.datetime.now(dt.UTC))
    alerts_job.run(runtime, dt.datetime.now(dt.UTC))
    posted = [sorted(item["code"] for item in body["items"]) for body, _ in hook.posts]
    assert posted == [[f"NHAP-{i}" for i in range(6)], ["SAU-0"], ["SAU-1"]]
    assert (count(runtime, Alert), count(runtime, AlertDelivery)) == (8, 2)
