"""Scheduler tests share: a configuration file, dossiers to alert on, the go-live mark."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from service.dossiers.scan import scan
from service.ingest import new_lookup_secret
from service.models import Dossier, Procedure, Unit
from service.runtime import Runtime
from service.vocabulary import Channel, LimitUnit, Status
from tests.conftest import UNIT_CODE

RECIPIENT = {"roles": ["clerk", "department", "head", "vice_chairman"], "name": "Nhóm Zalo xã",
             "key": "zalo", "channels": ["webhook"]}


def config_file(path: Path, database_url: str, hook_url: str) -> Path:
    path.write_text(f"""
database_url = "{database_url}"
log_level = "INFO"
[scheduler]
lease_seconds = 2
[scheduler.jobs.scan]
every_seconds = 1
[scheduler.jobs.alerts]
every_seconds = 1
[scheduler.jobs.digest]
enabled = false
[scheduler.jobs.sync]
enabled = false
[scheduler.jobs.reconcile]
enabled = false
[alerts]
office_hours_only = false
# One message per alert, so that the posts can be counted.
digest_threshold = 1000
[alerts.webhook]
url = "{hook_url}"
[[alerts.recipients]]
key = "{RECIPIENT['key']}"
name = "{RECIPIENT['name']}"
roles = {RECIPIENT['roles']!r}
channels = ["webhook"]
""".replace("'", '"'), encoding="utf-8")
    return path


def went_live(runtime: Runtime) -> None:
    """Scan the empty database once: dossiers added later arrive in a system already live, so
    their alerts go one by one rather than in the go-live summary."""
    with runtime.sessions.begin() as session:
        scan(session, dt.datetime.now(dt.UTC))


def add_dossiers(runtime: Runtime, prefix: str, count: int, due_in: dt.timedelta) -> None:
    now = dt.datetime.now(dt.UTC)
    with runtime.sessions.begin() as session:
        unit = session.scalar(select(Unit)) or Unit(code=UNIT_CODE, name="UBND xã Thanh Miện")
        procedure = session.scalar(select(Procedure)) or Procedure(
            code="1.004873", name="Cấp Giấy xác nhận tình trạng hôn nhân", domain_name="Hộ tịch",
            limit_value=3, limit_unit=LimitUnit.WORKING_DAYS)
        session.add_all([Dossier(
            code=f"{prefix}{i}", unit=unit, procedure=procedure, applicant_name="Trần Thị Lan",
            channel=Channel.ONLINE, received_at=now - dt.timedelta(days=3),
            status=Status.PROCESSING, is_open=True, source="test", source_id=f"{prefix}{i}",
            fingerprint="", lookup_secret=new_lookup_secret(), updated_at=now,
            due_at=now + due_in, handler="Công an xã") for i in range(count)])
