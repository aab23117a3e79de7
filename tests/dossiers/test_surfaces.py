"""At a dossier's exact due instant every surface says the same thing, and just after it too."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.dossiers.lookup import lookup
from service.dossiers.scan import scan
from service.models import Dossier
from service.reports.form06 import form06
from service.reports.periods import parse_period
from service.runtime import Runtime
from service.vocabulary import DeadlineClass
from tests.conftest import UNIT_CODE, local
from tests.pages_support import add_user, login, settings  # noqa: F401 - cheap hashes

# The Decree 09 window of 2026-Q1 ends at 15/03 00:00; the dossier falls due at that instant.
DUE = local(2026, 3, 15, 0, 0)
ZONE = "Asia/Ho_Chi_Minh"


def _surfaces(runtime: Runtime, session: Session, client: Any, row: Dossier,
              now: dt.datetime, period: str) -> dict[str, Any]:
    """What the scan, the list badge, the lookup, the metrics and Biểu 06 say at `now`."""
    scan(session, now)
    session.commit()
    session.refresh(row)
    runtime.now = lambda: now  # type: ignore[method-assign] - the pages' clock
    listing = client.get("/ho-so").get_data(as_text=True)
    badge = re.search(r'<span class="badge (within|near|overdue)">', listing)
    metrics = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    gauge = re.search(r'tthc_open_dossiers\{deadline_class="overdue"\} (\d+)',
                      metrics.get_data(as_text=True))
    with runtime.engine.connect() as conn:
        answer = lookup(conn, row.code, row.applicant_phone[-4:], now)
    report = form06(session, UNIT_CODE, parse_period(period), ZONE, now)
    return {"scan": row.deadline_class, "badge": badge.group(1) if badge else None,
            "lookup_late": answer.is_late if answer else None,
            "metrics_overdue": int(gauge.group(1)) if gauge else None,
            "form06": (report.total.cells[12], report.total.cells[13])}


@pytest.mark.parametrize("offset, period, expected", [
    (dt.timedelta(0), "2026-Q1", {"scan": DeadlineClass.NEAR, "badge": "near",
                                  "lookup_late": False, "metrics_overdue": 0, "form06": (1, 0)}),
    (dt.timedelta(seconds=1), "2026-Q2", {"scan": DeadlineClass.OVERDUE, "badge": "overdue",
                                          "lookup_late": True, "metrics_overdue": 1,
                                          "form06": (0, 1)}),
])
def test_every_surface_agrees_at_and_just_after_the_due_instant(
        runtime: Runtime, session: Session, client: Any, make_dossier: Callable[..., Dossier],
        offset: dt.timedelta, period: str, expected: dict[str, Any]) -> None:
    row = make_dossier(received_at=local(2026, 3, 10, 9), due_at=DUE,
                       near_at=local(2026, 3, 13, 17), updated_at=local(2026, 3, 10, 9))
    session.commit()
    add_user(session, "canbo", "clerk")
    login(client, "canbo")
    assert _surfaces(runtime, session, client, row, DUE + offset, period) == expected
