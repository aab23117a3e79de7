"""Biểu 06 judged at a stated instant: now for a period in progress, its end for a past one.

Hand-built dossiers with their history; the expected cells are counted in the comments.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from service.models import Dossier, StatusEvent
from service.reports.asof import AsOfError, parse_as_of
from service.reports.form06 import form06
from service.reports.periods import parse_period
from service.vocabulary import Status
from tests.conftest import UNIT_CODE, local, make_settings

ZONE = "Asia/Ho_Chi_Minh"
NOW_Q4 = local(2026, 12, 2, 10)  # Q4 (15/09-14/12) is in progress; the report is due 05/12


@pytest.fixture
def settings(database_url: str) -> dict[str, Any]:
    """Run every test of this module on SQLite and on PostgreSQL."""
    return make_settings(database_url)


def _history(session: Session, row: Dossier, *steps: tuple[dt.datetime, Status]) -> None:
    session.add_all(StatusEvent(dossier_id=row.id, at=at, status=status) for at, status in steps)


@pytest.fixture
def q4(session: Session, make_dossier: Callable[..., Dossier]) -> None:
    """Four open dossiers on 02/12/2026."""
    received = local(2026, 11, 20, 9)
    make_dossier(received_at=received, due_at=local(2026, 11, 25, 17))      # overdue: 13
    make_dossier(received_at=received, due_at=local(2026, 12, 3, 17))       # due tomorrow: 12
    make_dossier(received_at=received, due_at=local(2026, 12, 14, 17))      # 12
    waiting = make_dossier(received_at=received, due_at=local(2026, 12, 1, 17),
                           status=Status.WAITING_SUPPLEMENT,
                           updated_at=local(2026, 11, 28, 9))               # waiting: 12
    _history(session, waiting, (received, Status.ACCEPTED),
             (local(2026, 11, 28, 9), Status.WAITING_SUPPLEMENT))
    session.commit()


def test_a_period_in_progress_is_judged_now_not_at_its_end(session: Session, q4: None) -> None:
    report = form06(session, UNIT_CODE, parse_period("2026-Q4"), ZONE, NOW_Q4)
    assert report.as_of == NOW_Q4
    assert report.as_of_text == "Số liệu tính đến 10:00 ngày 02/12/2026"
    cells = report.total.cells
    assert (cells[11], cells[12], cells[13]) == (4, 3, 1)
    # What it will say on 04/12 at 08:00, once the dossier due 03/12 has passed its date.
    later = form06(session, UNIT_CODE, parse_period("2026-Q4"), ZONE, local(2026, 12, 4, 8))
    assert (later.total.cells[12], later.total.cells[13]) == (2, 2)
    # And asked on 04/12 what it said on 02/12 at 10:00: the same as then.
    audit = form06(session, UNIT_CODE, parse_period("2026-Q4"), ZONE, local(2026, 12, 4, 8),
                   as_of=NOW_Q4)
    assert audit.total.cells == cells and audit.as_of == NOW_Q4


@pytest.fixture
def q1(session: Session, make_dossier: Callable[..., Dossier]) -> None:
    """Four dossiers due 05/03/2026, open at the end of Q1 (15/03 00:00), changed since.

    `updated_at` is when ingestion last wrote each one: when its last history line came.
    """
    received, due = local(2026, 3, 2, 9), local(2026, 3, 5, 17)
    # Running and overdue at the end; asked for papers in Q2 (late), waiting now: 13.
    late_request = make_dossier(received_at=received, due_at=due,
                                status=Status.WAITING_SUPPLEMENT,
                                updated_at=local(2026, 3, 20, 9))
    _history(session, late_request, (received, Status.ACCEPTED),
             (local(2026, 3, 2, 10), Status.PROCESSING),
             (local(2026, 3, 20, 9), Status.WAITING_SUPPLEMENT))
    # Waiting for papers at the end, closed in Q2 when they never came: 12.
    never_came = make_dossier(received_at=received, due_at=due, status=Status.STOPPED,
                              is_open=False, stopped_at=local(2026, 3, 20, 9),
                              updated_at=local(2026, 3, 20, 9))
    _history(session, never_came, (received, Status.ACCEPTED),
             (local(2026, 3, 4, 10), Status.WAITING_SUPPLEMENT),
             (local(2026, 3, 20, 9), Status.STOPPED))
    # Running and overdue from start to now: 13.
    running = make_dossier(received_at=received, due_at=due, updated_at=local(2026, 3, 2, 10))
    _history(session, running, (received, Status.ACCEPTED),
             (local(2026, 3, 2, 10), Status.PROCESSING))
    # Waiting for the fee at the end, paid in Q2 and running (overdue) now: 12.
    fee = make_dossier(received_at=received, due_at=due, updated_at=local(2026, 3, 16, 9))
    _history(session, fee, (received, Status.ACCEPTED),
             (local(2026, 3, 5, 10), Status.WAITING_PAYMENT),
             (local(2026, 3, 16, 9), Status.PROCESSING))
    session.commit()


def test_a_past_period_counts_each_dossier_by_its_status_at_the_end(session: Session,
                                                                    q1: None) -> None:
    in_q3 = form06(session, UNIT_CODE, parse_period("2026-Q1"), ZONE, local(2026, 8, 1, 9))
    assert in_q3.as_of == local(2026, 3, 15, 0)
    assert in_q3.as_of_text == "Số liệu tính đến 00:00 ngày 15/03/2026"
    cells = in_q3.total.cells
    # 3 = 5 (received in person in the period) = 11; 12: the two waiting then; 13: the others.
    assert (cells[3], cells[5], cells[11], cells[12], cells[13]) == (4, 4, 4, 2, 2)
    # Printed on the last afternoon of Q1, the report said the same.
    in_q1 = form06(session, UNIT_CODE, parse_period("2026-Q1"), ZONE, local(2026, 8, 1, 9),
                   as_of=local(2026, 3, 14, 16))
    assert in_q1.total.cells == cells


def test_an_as_of_outside_the_period_or_in_the_future_is_refused(session: Session,
                                                                 q4: None) -> None:
    with pytest.raises(AsOfError, match="after now"):
        form06(session, UNIT_CODE, parse_period("2026-Q4"), ZONE, NOW_Q4,
               as_of=NOW_Q4 + dt.timedelta(minutes=1))
    with pytest.raises(AsOfError, match="not after the period's start"):
        form06(session, UNIT_CODE, parse_period("2026-Q4"), ZONE, NOW_Q4,
               as_of=local(2026, 9, 15, 0))


def test_page_xlsx_cli_and_api_state_the_instant(runtime: Any, session: Session, client: Any,
                                                 q4: None) -> None:
    from service.users.tokens import issue_token
    from tests.pages_support import add_user, login

    runtime.now = lambda: NOW_Q4
    add_user(session, "lan", "clerk")
    login(client, "lan")
    query = f"unit={UNIT_CODE}&period=2026-Q4"
    page = client.get(f"/bao-cao/bieu-06?{query}").get_data(as_text=True)
    assert "Số liệu tính đến 10:00 ngày 02/12/2026" in page
    audit = client.get(f"/bao-cao/bieu-06?{query}&as_of=2026-11-26T08:00").get_data(as_text=True)
    assert "Số liệu tính đến 08:00 ngày 26/11/2026" in audit
    refused = client.get(f"/bao-cao/bieu-06?{query}&as_of=2026-12-03T08:00")
    assert refused.status_code == 400
    assert "không được sau thời điểm hiện tại" in refused.get_data(as_text=True)
    book = load_workbook(io.BytesIO(client.get(f"/bao-cao/bieu-06.xlsx?{query}").data))
    sheet = book["Biểu 06"]
    assert sheet["D4"].value == "Số liệu tính đến 10:00 ngày 02/12/2026"
    assert [sheet.cell(11, c).value for c in (11, 12, 13)] == [4, 3, 1]
    # The same words for the same cell: column 12 says "Trong hạn" on the page and the sheet.
    assert sheet["L8"].value == "Trong hạn" and ">Trong hạn</th>" in page
    assert "Chưa đến hạn" not in page
    _, raw = issue_token(session, "province", ["read"], NOW_Q4)
    session.commit()
    answer = client.get(f"/api/v1/reports/form06?{query}&as_of=2026-11-26T08:00",
                        headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 200, answer.json
    assert answer.json["as_of"] == "2026-11-26T08:00:00+07:00"
    assert answer.json["as_of_text"] == "Số liệu tính đến 08:00 ngày 26/11/2026"
    # On 26/11 08:00 only the dossier due 25/11 was overdue; the one waiting since 28/11 ran.
    assert [answer.json["total"]["columns"][c] for c in ("11", "12", "13")] == [4, 3, 1]


@pytest.mark.parametrize(("text", "expected"), [
    ("26/11/2026 08:00", local(2026, 11, 26, 8)),  # the report page's field
    ("6/1/2026 8:05", local(2026, 1, 6, 8, 5)),
    ("2026-11-26T08:00", local(2026, 11, 26, 8)),  # links, the API, --as-of
])
def test_as_of_is_read_as_typed_on_the_page_or_iso(text: str, expected: dt.datetime) -> None:
    assert parse_as_of(text, ZONE) == expected


@pytest.mark.parametrize("text", ["26/11/2026", "31/02/2026 08:00", "26/11/2026 25:00",
                                  "11/26/2026 08:00 AM"])
def test_an_as_of_without_a_time_or_not_a_real_instant_is_refused(text: str) -> None:
    with pytest.raises(AsOfError) as refused:
        parse_as_of(text, ZONE)
    assert refused.value.vietnamese == (f"Thời điểm tính số liệu «{text}» không hợp lệ; viết ngày "
                                        "và giờ dạng dd/mm/yyyy hh:mm, vd. 14/03/2026 17:00.")
