"""One dataset, several instants: every surface gives the same counts at each instant.

The source system's records are ingested as they stood at each instant (as the ingest job
would have seen them), the deadline scan runs, and then the dashboard cards, the list's class
filter, its XLSX export, the REST API, the /metrics gauges, Biểu 06 columns 11-13 and the 766
progress figure are read at that instant. Every dossier is due by the law (no lax appointment,
no completed supplement, no apology in time), so the statutory, reporting and portal rules
coincide and the surfaces must agree to the dossier.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import DossierRecord, EventRecord, SupplementRecord
from service.dossiers.extension import issue_extension
from service.dossiers.scan import scan
from service.ingest import Ingestor
from service.models import Dossier
from service.reports.assessment import assessment
from service.reports.form06 import form06
from service.reports.periods import current_quarter, parse_period
from service.runtime import Runtime
from service.users.tokens import issue_token
from service.vocabulary import Channel, LimitUnit, Status
from tests.conftest import UNIT_CODE, local
from tests.dossiers.readers import api_count, dashboard_cards, export_rows, gauges, list_count
from tests.pages_support import add_user, login, settings  # noqa: F401 - cheap hashes

ZONE = "Asia/Ho_Chi_Minh"
T0 = local(2026, 3, 12, 9)                          # Thursday, before D's due instant
T1 = local(2026, 3, 13, 17)                         # A's due instant: due *by* it
T2 = T1 + dt.timedelta(seconds=1)                   # just after it
T3 = local(2026, 3, 15, 0)                          # end of the Decree 09 Q1, start of Q2
T4 = local(2026, 3, 16, 17) + dt.timedelta(seconds=1)  # just after B's due instant, in Q2


def _story(letter: str, received: dt.datetime, *steps: tuple[dt.datetime, Status],
           supplement: dt.datetime | None = None) -> DossierRecord:
    """A 3-working-day dossier's whole life as the source will eventually report it."""
    code = f"{UNIT_CODE}-{received:%y%m%d}-000{ord(letter) - 64}"
    events = (EventRecord(received, Status.ACCEPTED), *(EventRecord(at, s) for at, s in steps))
    return DossierRecord(
        code=code, unit_code=UNIT_CODE, unit_name="UBND xã Thanh Miện",
        procedure_code="1.004873", procedure_name="Cấp Giấy xác nhận tình trạng hôn nhân",
        domain_name="Hộ tịch", limit_value=3, limit_unit=LimitUnit.WORKING_DAYS,
        applicant_name="Nguyễn Văn Bình", applicant_phone="0912345678",
        channel=Channel.DIRECT, received_at=received, status=Status.ACCEPTED, source_id=code,
        handler="Văn phòng UBND xã", events=events,
        supplements=(SupplementRecord(supplement),) if supplement else ())


STORIES = {
    "A": _story("A", local(2026, 3, 10, 9)),                         # due Fri 13/03 17:00
    "B": _story("B", local(2026, 3, 11, 9)),                         # due Mon 16/03 17:00
    "C": _story("C", local(2026, 3, 10, 10), (local(2026, 3, 11, 9), Status.WAITING_SUPPLEMENT),
                supplement=local(2026, 3, 11, 9)),                   # waits for papers
    "D": _story("D", local(2026, 3, 9, 9), (local(2026, 3, 13, 10), Status.RESOLVED),
                (local(2026, 3, 13, 15), Status.RETURNED)),          # due Thu 12/03: late
    "E": _story("E", local(2026, 3, 2, 9)),                          # due 05/03; late apology
    "G": _story("G", local(2026, 3, 2, 9), (local(2026, 3, 4, 10), Status.RESOLVED),
                (local(2026, 3, 4, 14), Status.RETURNED)),           # early
}
# What each surface must say at each instant, counted by hand: (open, overdue, finished late
# in Q1). T0: A B C D E open, E overdue. T1: D finished late at 10:00; A is due *by* 17:00.
# T2: A overdue too. T3: the same, Q1 ends. T4: B overdue too.
EXPECTED = {T0: (5, 1, 0), T1: (4, 1, 1), T2: (4, 2, 1), T3: (4, 2, 1), T4: (4, 3, 1)}


def _as_of(story: DossierRecord, at: dt.datetime) -> DossierRecord | None:
    """The record the source gives at `at`: its history so far and the status it reached."""
    events = tuple(e for e in story.events if e.at <= at)
    if not events:
        return None
    first = {e.status: e.at for e in reversed(events)}
    return dataclasses.replace(
        story, events=events, status=events[-1].status, source_modified_at=events[-1].at,
        finished_at=first.get(Status.RESOLVED), returned_at=first.get(Status.RETURNED),
        supplements=tuple(s for s in story.supplements if s.requested_at <= at))


def _advance(runtime: Runtime, session: Session, at: dt.datetime) -> None:
    """Ingest what the source says at `at`, record the late apology on E, scan at `at`."""
    records = [r for r in (_as_of(s, at) for s in STORIES.values()) if r is not None]
    Ingestor(session, "source", runtime.derive).store(records, at)
    session.commit()
    apology = local(2026, 3, 9, 9)  # four days after E's due date: late
    row = session.scalar(select(Dossier).where(Dossier.code == STORIES["E"].code))
    if at >= apology and row.extension_due_at is None:
        issue_extension(session, runtime.policy, row, local(2026, 3, 20, 17), "Chờ xác minh",
                        "Chủ tịch UBND xã", apology)
    scan(session, at)
    session.commit()


@pytest.fixture
def reader(runtime: Runtime, session: Session, client: Any) -> dict[str, str]:
    """A signed-in clerk and an API token; returns the token's headers."""
    add_user(session, "lan", "clerk")
    login(client, "lan")
    _, raw = issue_token(session, "province", ["read"], T0)
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_every_surface_gives_the_same_counts_at_every_instant(
        runtime: Runtime, session: Session, client: Any, reader: dict[str, str]) -> None:
    said_at_q1_end = None
    for at, (open_, overdue, finished_late) in EXPECTED.items():
        _advance(runtime, session, at)
        runtime.now = lambda at=at: at  # type: ignore[method-assign] - pages, API, metrics
        cards = dashboard_cards(client)
        scraped = gauges(client)
        period = current_quarter(runtime.calendar.local(at).date())
        form = form06(session, UNIT_CODE, period, ZONE, at)
        surfaces = {
            "dashboard": (cards["Đang giải quyết"], cards["Quá hạn"]),
            "list": (list_count(client, "open=true"), list_count(client, "class=overdue")),
            "xlsx": (len(export_rows(client, "open=true")),
                     len(export_rows(client, "class=overdue"))),
            "api": (api_count(client, reader, "open=true"),
                    api_count(client, reader, "class=overdue")),
            "metrics": (sum(scraped.values()), scraped["overdue"]),
            "form06": (form.total.cells[11], form.total.cells[13]),
        }
        assert set(surfaces.values()) == {(open_, overdue)}, (at, surfaces)
        assert form.total.cells[12] == open_ - overdue
        q1 = assessment(session, UNIT_CODE, parse_period("2026-Q1"), ZONE, at)
        progress = q1.indicators[1]
        # Received in Q1: all six. Late by the portal's rule: those finished late and, of
        # the open ones, those overdue then (Q1's own end once it is over).
        q1_overdue = overdue if at <= T3 else EXPECTED[T3][1]
        assert progress.denominator - progress.numerator == finished_late + q1_overdue, at
        if at == T3:
            said_at_q1_end = form06(session, UNIT_CODE, parse_period("2026-Q1"), ZONE, at)
    # Printed later in Q2, Q1 still says what it said when it ended.
    again = form06(session, UNIT_CODE, parse_period("2026-Q1"), ZONE, T4)
    assert said_at_q1_end is not None and again.total.cells == said_at_q1_end.total.cells
    assert (again.total.cells[11], again.total.cells[13]) == (4, 2)
