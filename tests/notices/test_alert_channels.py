"""Clerk alerts by SMS and Zalo, per recipient, through the same senders as the notices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jobs import alerts as alerts_job
from jobs import scan as scan_job
from service.models import AlertDelivery, Base
from service.models.alerts import DeliveryState
from service.runtime import Runtime
from tests.builders import ingest, record
from tests.conftest import local, make_settings
from tests.fixtures.sms.server import Gateway
from tests.fixtures.zalo.server import ZaloOA
from tests.notices.conftest import ENVIRON, TEMPLATES, esms_section, zalo_section

CODE = "000.32.26.H26-260302-0007"
ALERT: dict[str, Any] = {"template_id": "301009", "fields": {
    "tieu_de": "subject", "ma_ho_so": "code", "so_ho_so": "count"}}
RECIPIENTS = [
    {"key": "cuc", "roles": ["clerk"], "name": "Lê Thị Cúc", "phone": "0912999001",
     "channels": ["sms"]},
    {"key": "tuphap", "roles": ["department"], "name": "Công chức Tư pháp - Hộ tịch",
     "phone": "+84912999002", "channels": ["zalo_zns"],
     "handlers": ["Công chức Tư pháp - Hộ tịch"]},
]


def test_an_overdue_alert_reaches_clerks_by_sms_and_zalo(
        tmp_path: Path, gateway: Gateway, oa: ZaloOA, monkeypatch: pytest.MonkeyPatch) -> None:
    oa.templates[ALERT["template_id"]] = set(ALERT["fields"])
    oa.zalo_users.add("84912999002")
    zalo = {**zalo_section(oa), "templates": {**TEMPLATES, "alert": ALERT}}
    runtime = Runtime.from_settings(make_settings(
        f"sqlite:///{tmp_path / 'a.db'}",
        notices={"sms": esms_section(gateway.url, tmp_path / "esms"), "zalo_zns": zalo},
        alerts={"recipients": RECIPIENTS, "rules": {"overdue": ["clerk", "department"]}}))
    Base.metadata.create_all(runtime.engine)
    for name, value in {**ENVIRON, "ZALO_REFRESH_TOKEN": oa.grant_refresh_token()}.items():
        monkeypatch.setenv(name, value)
    received = local(2026, 3, 2, 9)
    # The system is live before the dossier arrives: the go-live baseline is behind us.
    scan_job.run(runtime, local(2026, 3, 1, 9))
    ingest(runtime, received, record(CODE, received))
    scan_job.run(runtime, local(2026, 3, 6, 9))  # due 05/03 17:00: overdue
    report = alerts_job.run(runtime, local(2026, 3, 6, 9, 1))
    assert report is not None and (report.sent, report.failed) == (2, 0)

    [sms] = gateway.sent
    assert sms["Phone"] == "0912999001"
    assert sms["Content"] == (f"[Qua han] Ho so {CODE} - han 05/03/2026 17:00. Chi tiet trong "
                              "he thong theo doi ho so TTHC.")
    [zns] = oa.sent
    assert zns["phone"] == "84912999002" and zns["template_id"] == "301009"
    assert zns["template_data"] == {"tieu_de": f"[Quá hạn] Hồ sơ {CODE} – hạn 05/03/2026 17:00",
                                    "ma_ho_so": CODE, "so_ho_so": "1"}
    with runtime.sessions() as session:
        rows = session.execute(select(AlertDelivery.channel, AlertDelivery.state)
                               .order_by(AlertDelivery.channel)).all()
    assert rows == [("sms", DeliveryState.SENT), ("zalo_zns", DeliveryState.SENT)]
    runtime.engine.dispose()
