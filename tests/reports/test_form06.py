"""Biểu 06/VPCP/KSTT counted for a hand-built set of dossiers, cell by cell, on each database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import Dossier, Procedure, Unit
from service.reports.form06 import COLUMNS, form06
from service.reports.periods import parse_period
from service.vocabulary import Channel, LimitUnit, Outcome, Status
from tests.conftest import UNIT_CODE, local, make_settings

TZ_NAME = "Asia/Ho_Chi_Minh"
NOW = local(2026, 9, 25, 10)


@pytest.fixture
def settings(database_url: str) -> dict[str, Any]:
    """Run every test of this module on SQLite and on PostgreSQL."""
    return make_settings(database_url)


def _procedure(session: Session, code: str, domain: str) -> Procedure:
    procedure = Procedure(code=code, name=f"Thủ tục {code}", domain_name=domain, limit_value=5,
                          limit_unit=LimitUnit.WORKING_DAYS)
    session.add(procedure)
    return procedure


def _day(month: int, day: int, hour: int = 9) -> dt.datetime:
    return local(2026, month, day, hour)


@pytest.fixture
def dossiers(session: Session, make_dossier: Callable[..., Dossier]) -> None:
    """Every column of the form gets at least one dossier; comments give the cells expected."""
    civil = _procedure(session, "1.000001", "Hộ tịch")
    certify = _procedure(session, "2.000002", "Chứng thực")
    done = dict(is_open=False)

    def civil_dossier(**kw: Any) -> Dossier:
        return make_dossier(procedure=civil, **kw)

    civil_dossier(received_at=_day(7, 1), channel=Channel.ONLINE, status=Status.RETURNED,
                  finished_at=_day(7, 2), outcome=Outcome.EARLY, **done)            # 4, 8
    civil_dossier(received_at=_day(7, 1), status=Status.RESOLVED, finished_at=_day(7, 3),
                  outcome=Outcome.ON_TIME, **done)                                   # 5, 9
    civil_dossier(received_at=_day(7, 1), channel=Channel.POSTAL, status=Status.RETURNED,
                  finished_at=_day(7, 10), outcome=Outcome.LATE, **done)             # 5, 10
    civil_dossier(received_at=_day(6, 1), due_at=_day(10, 1))                        # 6, 12
    civil_dossier(received_at=_day(6, 1), due_at=_day(9, 1))                         # 6, 13
    civil_dossier(received_at=_day(7, 5), channel=Channel.ONLINE,
                  status=Status.WAITING_SUPPLEMENT, due_at=_day(8, 1))               # 4, 12
    civil_dossier(received_at=_day(7, 5), due_at=_day(9, 10), status=Status.RESOLVED,
                  finished_at=_day(9, 20), outcome=Outcome.LATE, **done)             # 5, 13
    civil_dossier(received_at=_day(7, 6), status=Status.WITHDRAWN, stopped_at=_day(7, 7),
                  due_at=_day(7, 10), **done)                                        # 5, 9
    civil_dossier(received_at=_day(7, 8), status=Status.RETURNED, returned_at=_day(7, 20),
                  due_at=_day(7, 15), **done)                                        # 5, 10
    # Not counted: finished before the period, received after it, never accepted.
    civil_dossier(received_at=_day(5, 1), status=Status.RETURNED, finished_at=_day(6, 1),
                  outcome=Outcome.ON_TIME, **done)
    civil_dossier(received_at=_day(9, 20))
    civil_dossier(received_at=_day(7, 1), status=Status.NOT_ACCEPTED, **done)

    make_dossier(procedure=certify, received_at=_day(8, 1), channel=Channel.ONLINE,
                 due_at=_day(9, 30))                                                 # 4, 12
    make_dossier(procedure=certify, received_at=_day(8, 3), source_due_at=_day(9, 1),
                 statutory_due_at=_day(9, 1), extension_due_at=_day(9, 30),
                 due_at=_day(9, 30))                                                 # 5, 13*
    home = session.query(Unit).filter_by(code=UNIT_CODE).one()
    child = Unit(code="000.33.26.H26", name="Công an xã", parent=home)
    other = Unit(code="000.99.26.H26", name="UBND xã khác")
    session.add_all([child, other])
    make_dossier(procedure=certify, unit=child, received_at=_day(8, 5),
                 channel=Channel.ONLINE, due_at=_day(10, 1))                         # 4, 12
    make_dossier(procedure=certify, unit=other, received_at=_day(8, 5))
    session.commit()


EXPECTED = {
    "Chứng thực": {3: 3, 4: 2, 5: 1, 6: 0, 7: 0, 8: 0, 9: 0, 10: 0, 11: 3, 12: 2, 13: 1},
    "Hộ tịch": {3: 9, 4: 2, 5: 5, 6: 2, 7: 5, 8: 1, 9: 2, 10: 2, 11: 4, 12: 2, 13: 2},
}


def test_form06_counts_every_column_by_lĩnh_vực(session: Session, dossiers: None) -> None:
    report = form06(session, UNIT_CODE, parse_period("2026-Q3"), TZ_NAME, NOW)
    assert [(row.number, row.domain) for row in report.rows] == [(1, "Chứng thực"),
                                                                  (2, "Hộ tịch")]
    for row in report.rows:
        assert row.cells == EXPECTED[row.domain], row.domain
    assert report.total.cells == {c: sum(EXPECTED[d][c] for d in EXPECTED) for c in COLUMNS}
    assert report.period.first == dt.date(2026, 6, 15)
    assert report.unit_name == "UBND xã Thanh Miện"


def test_extension_counts_within_when_configured_not_late(session: Session,
                                                          dossiers: None) -> None:
    report = form06(session, UNIT_CODE, parse_period("2026-Q3"), TZ_NAME, NOW,
                    extension_counts_late=False)
    certify = next(row for row in report.rows if row.domain == "Chứng thực")
    assert (certify.cells[12], certify.cells[13]) == (3, 0)


def test_identities_hold_for_every_row(session: Session, dossiers: None) -> None:
    for text in ("2026-Q3", "2026", "2026-07", "2026-06-01..2026-12-31", "2026-H1"):
        report = form06(session, UNIT_CODE, parse_period(text, "calendar"), TZ_NAME, NOW)
        for row in [*report.rows, report.total]:
            c = row.cells
            assert c[3] == c[4] + c[5] + c[6] == c[7] + c[11]
            assert c[7] == c[8] + c[9] + c[10] and c[11] == c[12] + c[13]


def test_a_unit_without_dossiers_gives_an_empty_form(session: Session, dossiers: None) -> None:
    report = form06(session, "000.99.26.H26", parse_period("2025-Q1"), TZ_NAME, NOW)
    assert report.rows == [] and set(report.total.cells.values()) == {0}
