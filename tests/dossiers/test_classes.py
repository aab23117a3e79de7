"""The one classifier: its Python form and its SQL form agree at every instant that matters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from service.dossiers.classes import class_case, class_condition, deadline_class
from service.models import Base, Dossier, Procedure, Unit
from service.vocabulary import Channel, DeadlineClass, LimitUnit, Status
from tests.conftest import local

DUE = local(2026, 3, 5, 17)
NEAR = local(2026, 3, 4, 17)
TICK = dt.timedelta(microseconds=1)
WITHIN, NEAR_, OVERDUE, PAUSED = (DeadlineClass.WITHIN, DeadlineClass.NEAR,
                                   DeadlineClass.OVERDUE, DeadlineClass.PAUSED)

# (status, open, due, near, instant judged at, expected class) — written out by hand.
TABLE: list[tuple[Status, bool, dt.datetime | None, dt.datetime | None, dt.datetime,
                  DeadlineClass | None]] = [
    (Status.PROCESSING, True, DUE, NEAR, local(2026, 3, 3, 9), WITHIN),
    (Status.PROCESSING, True, DUE, NEAR, NEAR - TICK, WITHIN),
    (Status.PROCESSING, True, DUE, NEAR, NEAR, NEAR_),            # near starts at its instant
    (Status.PROCESSING, True, DUE, NEAR, DUE - TICK, NEAR_),
    (Status.PROCESSING, True, DUE, NEAR, DUE, NEAR_),             # due *by* the due instant
    (Status.PROCESSING, True, DUE, NEAR, DUE + TICK, OVERDUE),    # overdue strictly after
    (Status.ACCEPTED, True, DUE, None, DUE, WITHIN),              # no near instant stored
    (Status.ACCEPTED, True, DUE, None, DUE + TICK, OVERDUE),
    (Status.PROCESSING, True, None, None, local(2030, 1, 1, 9), WITHIN),  # no time limit
    (Status.WAITING_SUPPLEMENT, True, DUE, NEAR, DUE + TICK, PAUSED),
    (Status.WAITING_PAYMENT, True, DUE, NEAR, NEAR, PAUSED),
    (Status.RESOLVED, False, DUE, NEAR, DUE + TICK, None),
    (Status.RETURNED, False, DUE, NEAR, DUE, None),
]


@pytest.mark.parametrize("row", TABLE, ids=[f"{r[0].name}-{r[4]:%d%H%M%S%f}" for r in TABLE])
def test_python_form_follows_the_table(row: tuple[Any, ...]) -> None:
    status, is_open, due, near, at, expected = row
    assert deadline_class(status, is_open, due, near, at) is expected


def test_sql_form_agrees_with_the_python_form(database_url: str) -> None:
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    try:
        _agree(engine)
    finally:
        engine.dispose()


def _agree(engine: Any) -> None:
    with Session(engine) as session:
        unit = Unit(code="000.32.26.H26", name="UBND xã Thanh Miện")
        procedure = Procedure(code="1.004873", name="Xác nhận tình trạng hôn nhân",
                              domain_name="Hộ tịch", limit_value=3,
                              limit_unit=LimitUnit.WORKING_DAYS)
        ids = []
        for number, (status, is_open, due, near, _at, _expected) in enumerate(TABLE):
            dossier = Dossier(code=f"C-{number}", unit=unit, procedure=procedure,
                              applicant_name="Nguyễn Văn Bình", received_at=local(2026, 3, 2, 9),
                              channel=Channel.DIRECT, status=status, is_open=is_open,
                              due_at=due, near_at=near,
                              source="test", source_id=str(number), fingerprint="",
                              lookup_secret=f"S{number:07d}",
                              updated_at=local(2026, 3, 2, 9))
            session.add(dossier)
            session.flush()
            ids.append(dossier.id)
        for dossier_id, (status, _open, _due, _near, at, expected) in zip(ids, TABLE, strict=True):
            by_case = session.scalar(select(class_case(at)).where(Dossier.id == dossier_id))
            assert by_case == (expected.value if expected else None), (status, at)
            matching = [kind for kind in DeadlineClass if session.scalar(
                select(Dossier.id).where(Dossier.id == dossier_id, class_condition(kind, at)))]
            assert matching == ([expected] if expected else []), (status, at)
