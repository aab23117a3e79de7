"""The apology rule of Decree 118/2025 Art. 19.6, one table of instants, every surface.

A dossier received Monday 02/03/2026 09:00 for a 3-working-day procedure is due Thursday
05/03 at 17:00. The apology moves it to Friday 13/03 17:00 when recorded by the end of the
calendar day before the due date (Wednesday 04/03); from Thursday 00:00 on it is late: still
recorded and printed, but the dossier stays overdue everywhere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import DossierRecord, EventRecord
from service.deadlines import ExtensionError
from service.dossiers.derive import deadline_columns, dossier_input
from service.dossiers.extension import check_new_due, issue_extension
from service.dossiers.lookup import LATE_APOLOGY_NOTE, lookup
from service.dossiers.views import dossier_summary
from service.ingest import Ingestor
from service.models import Dossier
from service.reports.form06 import form06
from service.reports.handling import late_by_body
from service.reports.periods import parse_period
from service.runtime import Runtime
from service.users.tokens import issue_token
from service.vocabulary import Channel, LimitUnit, Outcome, Status
from tests.conftest import UNIT_CODE, local
from tests.dossiers.readers import api_count, dashboard_cards, export_rows, gauges, list_badges
from tests.pages_support import add_user, login, settings  # noqa: F401 - cheap hashes

CODE = f"{UNIT_CODE}-260302-0001"
DUE = local(2026, 3, 5, 17)
NEW_DUE = local(2026, 3, 13, 17)
JUDGED = local(2026, 3, 10, 10)  # after every recording below, before the new date
ZONE = "Asia/Ho_Chi_Minh"
# (name, recorded at, late?)
CASES = [
    ("two days before", local(2026, 3, 3, 10), False),
    ("one day before", local(2026, 3, 4, 16, 30), False),
    ("last minute of the day before", local(2026, 3, 4, 23, 59), False),
    ("on the due day", local(2026, 3, 5, 8), True),
    ("after the due date", local(2026, 3, 10, 9), True),
]


def _dossier(runtime: Runtime, session: Session) -> Dossier:
    record = DossierRecord(
        code=CODE, unit_code=UNIT_CODE, unit_name="UBND xã Thanh Miện",
        procedure_code="1.004873", procedure_name="Cấp Giấy xác nhận tình trạng hôn nhân",
        domain_name="Hộ tịch", limit_value=3, limit_unit=LimitUnit.WORKING_DAYS,
        applicant_name="Nguyễn Văn Bình", applicant_phone="0912345678", channel=Channel.DIRECT,
        received_at=local(2026, 3, 2, 9), status=Status.PROCESSING, source_id=CODE,
        handler="Văn phòng UBND xã", events=(EventRecord(local(2026, 3, 2, 9), Status.ACCEPTED),))
    Ingestor(session, "test", runtime.derive).store([record], local(2026, 3, 2, 9))
    session.commit()
    row = session.scalar(select(Dossier).where(Dossier.code == CODE))
    assert row is not None and row.due_at == DUE
    return row


def _issue(runtime: Runtime, session: Session, row: Dossier, at: dt.datetime) -> None:
    issue_extension(session, runtime.policy, row, NEW_DUE, "Chờ xác minh tại xã khác",
                    "Chủ tịch UBND xã Trần Văn An", at)
    session.commit()


@pytest.mark.parametrize("name, recorded, late", CASES, ids=[c[0] for c in CASES])
def test_the_recording_instant_decides_what_every_surface_says(
        runtime: Runtime, session: Session, client: Any, name: str, recorded: dt.datetime,
        late: bool) -> None:
    row = _dossier(runtime, session)
    assert check_new_due(row, NEW_DUE, runtime.calendar, recorded) is late
    _issue(runtime, session, row, recorded)
    assert (row.extension_late, row.extension_due_at) == (late, NEW_DUE)
    assert row.due_at == (DUE if late else NEW_DUE)
    runtime.now = lambda: JUDGED  # type: ignore[method-assign] - the pages' clock
    add_user(session, "lan", "clerk")
    login(client, "lan")
    kind = "overdue" if late else "within"
    assert list_badges(client) == [kind]
    assert dashboard_cards(client)["Quá hạn"] == int(late)
    shown = dossier_summary(row, ZONE, JUDGED)  # what `dossier show --json` prints
    assert (shown["deadline_class_code"], shown["is_late"], shown["extension_late"]) == (
        kind, late, late)
    exported = export_rows(client, "class=overdue")
    assert [(r["Mã hồ sơ"], r["Tình trạng hạn"], r["Phiếu xin lỗi"]) for r in exported] == (
        [(CODE, "Quá hạn", "Xin lỗi muộn")] if late else [])
    with runtime.engine.connect() as conn:
        citizen = lookup(conn, CODE, "5678", JUDGED)
    assert citizen is not None and citizen.due_at == NEW_DUE  # the citizen holds the new date
    assert citizen.is_late is late and (citizen.apology == LATE_APOLOGY_NOTE) is late
    q1 = parse_period("2026-Q1")  # 15/12/2025-14/03/2026, in progress: judged at JUDGED
    by_original = form06(session, UNIT_CODE, q1, ZONE, JUDGED).total.cells
    by_new_date = form06(session, UNIT_CODE, q1, ZONE, JUDGED,
                         extension_counts_late=False).total.cells
    # With extension_counts_late (the default) reports judge by the original date anyway;
    # without it a timely apology counts within the limit and a late one still overdue.
    assert (by_original[12], by_original[13]) == (0, 1)
    assert (by_new_date[12], by_new_date[13]) == ((0, 1) if late else (1, 0))
    # The handling report's late dossiers by body judge as Biểu 06 does at the same instant.
    for counts_late, overdue in ((True, 1), (False, int(late))):
        bodies = late_by_body(session, UNIT_CODE, q1, ZONE, JUDGED,
                              extension_counts_late=counts_late)
        assert [(b.handler, b.open_overdue, b.reasons) for b in bodies] == (
            [("Văn phòng UBND xã", 1, [("Chờ xác minh tại xã khác", 1)])] if overdue else [])
    # The REST API and the /metrics gauges follow the watched date, as the list does.
    _, raw = issue_token(session, "province", ["read"], JUDGED)
    session.commit()
    assert api_count(client, {"Authorization": f"Bearer {raw}"}, "class=overdue") == int(late)
    assert gauges(client).get("overdue", 0) == int(late)


@pytest.mark.parametrize("name, recorded, late", CASES, ids=[c[0] for c in CASES])
def test_a_late_apology_never_makes_a_finished_dossier_on_time(
        runtime: Runtime, session: Session, name: str, recorded: dt.datetime,
        late: bool) -> None:
    # Configured so that a timely apology's new date is what reports judge by.
    policy = dataclasses.replace(runtime.policy, extension_counts_late=False)
    row = _dossier(runtime, session)
    issue_extension(session, policy, row, NEW_DUE, "Chờ xác minh", "Chủ tịch", recorded)
    row.status, row.is_open, row.finished_at = Status.RESOLVED, False, local(2026, 3, 12, 10)
    columns = deadline_columns(policy, dossier_input(row), local(2026, 3, 12, 11))
    # Finished Thursday 12/03: late against 05/03 17:00, a day early against 13/03 17:00.
    assert columns["outcome"] is (Outcome.LATE if late else Outcome.EARLY)


@pytest.mark.parametrize("name, recorded, late", CASES, ids=[c[0] for c in CASES])
def test_a_second_extension_is_refused(runtime: Runtime, session: Session, name: str,
                                       recorded: dt.datetime, late: bool) -> None:
    row = _dossier(runtime, session)
    _issue(runtime, session, row, recorded)
    with pytest.raises(ExtensionError, match="second extension"):
        issue_extension(session, runtime.policy, row, local(2026, 3, 20, 17), "Lần hai",
                        "Chủ tịch", recorded + dt.timedelta(hours=1))
    session.rollback()
    session.refresh(row)
    assert (row.extension_due_at, row.extension_late) == (NEW_DUE, late)
