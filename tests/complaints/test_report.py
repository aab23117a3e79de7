"""The complaints report by handling body and `complained_dossiers`, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from migrations import upgrade
from service.complaints import (
    answer,
    assign,
    close,
    complained_dossiers,
    complaint_report,
    submit_about_dossier,
    submit_public,
)
from service.models import Dossier, Unit
from service.reports.periods import parse_period
from service.runtime import Runtime
from tests.alerts_support import TU_PHAP
from tests.complaints.support import policy_of
from tests.conftest import UNIT_CODE, local, make_settings
from tests.pages_support import ensure_unit

TEXT = "Đề nghị cơ quan giải quyết trả lời về hồ sơ."
POLICE = "Công an xã"


@pytest.fixture
def settings(database_url: str) -> dict[str, Any]:
    """Each database: SQLite, and PostgreSQL when configured."""
    return make_settings(database_url)


@pytest.fixture
def runtime(settings: dict[str, Any]) -> Iterator[Runtime]:
    """A runtime whose schema the migrations made (conftest's builders use it)."""
    rt = Runtime.from_settings(settings)
    upgrade(rt.engine)
    yield rt
    rt.engine.dispose()


def public(session: Session, rt: Runtime, unit: Unit, sent: dt.datetime,
           handler: str | None = None) -> object:
    complaint = submit_public(session, policy_of(rt), unit.id, "Phạm Thị Lan", "0912345678",
                              TEXT, sent)
    if handler:
        assign(session, complaint, handler, "Nguyễn Thu Lan", sent)
    return complaint


def test_report_counts_each_body_s_complaints_of_the_period(runtime: Runtime) -> None:
    rt = runtime
    with rt.sessions.begin() as session:
        unit, other = ensure_unit(session), ensure_unit(session, "000.99.26.H26", "UBND xã khác")
        # A: due 23/03 17:00, answered 10/03 -> on time.
        a = public(session, rt, unit, local(2026, 3, 2, 9), TU_PHAP)
        answer(session, a, "Đã giải quyết xong.", "Trưởng ban", local(2026, 3, 10, 9))
        # B: due 23/03 17:00, answered 24/03 09:00 -> late.
        b = public(session, rt, unit, local(2026, 3, 2, 10), TU_PHAP)
        answer(session, b, "Đã giải quyết xong.", "Trưởng ban", local(2026, 3, 24, 9))
        # C: sent Thu 05/03, due Thu 26/03 17:00, still open at the end of March -> overdue.
        public(session, rt, unit, local(2026, 3, 5, 9), POLICE)
        # D: sent 25/03, due 15/04, never assigned -> open within its limit.
        public(session, rt, unit, local(2026, 3, 25, 9))
        # E: closed without an answer (a duplicate) two days later -> handled on time.
        e = public(session, rt, unit, local(2026, 3, 20, 9))
        close(session, e, "Trùng với phản ánh trước đó.", local(2026, 3, 23, 9))
        # G: sent 31/03, answered 02/04: after the period, so open (within) at its end.
        g = public(session, rt, unit, local(2026, 3, 31, 10), TU_PHAP)
        answer(session, g, "Đã giải quyết xong.", "Trưởng ban", local(2026, 4, 2, 9))
        # Not counted: sent in February; sent to another commune.
        public(session, rt, unit, local(2026, 2, 27, 9), TU_PHAP)
        public(session, rt, other, local(2026, 3, 10, 9), TU_PHAP)
    with rt.sessions() as session:
        report = complaint_report(session, UNIT_CODE, parse_period("2026-03", "calendar"),
                                  "Asia/Ho_Chi_Minh", local(2026, 4, 10, 9), 15)
    counts = {row.handler: (row.received, row.on_time, row.late, row.open_within,
                            row.open_overdue) for row in report.rows}
    assert counts == {"Chưa chuyển cơ quan giải quyết": (2, 1, 0, 1, 0),
                      POLICE: (1, 0, 0, 0, 1), TU_PHAP: (3, 1, 1, 1, 0)}
    total = report.total
    assert (total.received, total.on_time, total.late, total.open_within,
            total.open_overdue) == (6, 2, 1, 2, 1)
    # In time among those decided: 2 handled in time of 3 handled + 1 overdue.
    assert total.on_time_rate == 0.5
    assert report.judged_at == local(2026, 4, 1, 0)
    assert report.as_of_text == "Số liệu tính đến 00:00 ngày 01/04/2026"
    # As of 24/03 08:00 (an audit): D and G were not sent yet; E was closed on 23/03; B was
    # still unanswered, due at 17:00 the day before, so overdue then; C was within its limit.
    with rt.sessions() as session:
        earlier = complaint_report(session, UNIT_CODE, parse_period("2026-03", "calendar"),
                                   "Asia/Ho_Chi_Minh", local(2026, 4, 10, 9), 15,
                                   as_of=local(2026, 3, 24, 8))
    assert {row.handler: (row.received, row.on_time, row.late, row.open_within,
                          row.open_overdue) for row in earlier.rows} == {
        "Chưa chuyển cơ quan giải quyết": (1, 1, 0, 0, 0), POLICE: (1, 0, 0, 1, 0),
        TU_PHAP: (2, 1, 0, 0, 1)}
    assert earlier.as_of_text == "Số liệu tính đến 08:00 ngày 24/03/2026"


def test_complained_dossiers_selects_each_dossier_complained_about_once(
        runtime: Runtime, session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossiers = [make_dossier() for _ in range(3)]
    for dossier, count in zip(dossiers, (2, 1, 0), strict=True):
        for day in range(count):
            sent = local(2026, 3, 2 + day, 9)
            complaint = submit_about_dossier(session, policy_of(runtime), dossier.id, TEXT, sent)
            answer(session, complaint, "Đã trả lời công dân.", "Cán bộ", sent)
    session.commit()
    found = session.scalars(select(Dossier.code).where(
        Dossier.id.in_(complained_dossiers())).order_by(Dossier.code)).all()
    assert found == [dossiers[0].code, dossiers[1].code]
    assert len(session.execute(complained_dossiers()).all()) == 2
