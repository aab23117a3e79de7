"""The data model on SQLite and PostgreSQL: unique codes, append-only history, enums, instants."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db import make_engine, make_sessionmaker
from service.ingest import new_lookup_secret
from service.models import Base, Dossier, Procedure, StatusEvent, Unit
from service.vocabulary import Channel, DeadlineClass, LimitUnit, Status
from tests.conftest import local


@pytest.fixture
def db_session(database_url: str) -> Any:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def dossier(session: Session, code: str, **extra: Any) -> Dossier:
    unit = session.scalar(select(Unit)) or Unit(code="000.32.26.H26", name="UBND xã")
    procedure = session.scalar(select(Procedure)) or Procedure(
        code="1.001193", name="Đăng ký khai sinh", domain_name="Hộ tịch", limit_value=0,
        limit_unit=LimitUnit.SAME_DAY)
    row = Dossier(code=code, unit=unit, procedure=procedure, applicant_name="Trần Thị Dung",
                  channel=Channel.ONLINE, received_at=local(2026, 3, 2, 9),
                  status=Status.WAITING_SUPPLEMENT, source="test", source_id=code,
                  fingerprint="x", lookup_secret=new_lookup_secret(),
                  updated_at=local(2026, 3, 2, 9), **extra)
    session.add(row)
    session.flush()
    return row


def test_enums_and_instants_round_trip(db_session: Session) -> None:
    dossier(db_session, "A-1", deadline_class=DeadlineClass.NEAR)
    db_session.commit()
    db_session.expire_all()
    row = db_session.scalar(select(Dossier).where(Dossier.code == "A-1"))
    assert row.status is Status.WAITING_SUPPLEMENT and row.status.label == "Yêu cầu bổ sung giấy tờ"
    assert row.channel is Channel.ONLINE
    assert row.deadline_class is DeadlineClass.NEAR
    assert row.procedure.limit_unit is LimitUnit.SAME_DAY
    assert row.received_at == local(2026, 3, 2, 9)
    assert row.received_at.utcoffset() == dt.timedelta(0)


def test_status_is_filtered_by_its_portal_code(db_session: Session) -> None:
    dossier(db_session, "A-1")
    found = db_session.scalars(select(Dossier.code).where(Dossier.status == Status(5))).all()
    assert found == ["A-1"]


def test_dossier_code_is_unique(db_session: Session) -> None:
    dossier(db_session, "A-1")
    with pytest.raises(IntegrityError):
        dossier(db_session, "A-1")


def test_history_line_is_unique_per_instant_and_status(db_session: Session) -> None:
    row = dossier(db_session, "A-1")
    db_session.add(StatusEvent(dossier_id=row.id, at=local(2026, 3, 2, 9), status=Status.ACCEPTED))
    db_session.flush()
    db_session.add(StatusEvent(dossier_id=row.id, at=local(2026, 3, 2, 9), status=Status.ACCEPTED))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_history_lines_cannot_be_changed(db_session: Session) -> None:
    row = dossier(db_session, "A-1")
    event = StatusEvent(dossier_id=row.id, at=local(2026, 3, 2, 9), status=Status.ACCEPTED)
    db_session.add(event)
    db_session.flush()
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        db_session.flush()


def test_naive_instants_are_refused(db_session: Session) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        dossier(db_session, "A-1", filed_at=dt.datetime(2026, 3, 2, 9))


def test_instants_are_stored_on_sqlite_as_sqlalchemy_datetime_text(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'text.db'}")
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        row = dossier(session, "T-1", due_at=dt.datetime(2026, 3, 5, 16, 0, 0, 250,
                                                          tzinfo=dt.timezone(dt.timedelta(hours=7))))
        session.commit()
        stored = session.connection().exec_driver_sql(
            "SELECT received_at, due_at FROM dossier").one()
        # UTC, microseconds always written: the text sorts as the instants do.
        assert tuple(stored) == ("2026-03-02 02:00:00.000000", "2026-03-05 09:00:00.000250")
        session.expire_all()
        assert session.get(Dossier, row.id).due_at == dt.datetime(2026, 3, 5, 9, 0, 0, 250,
                                                                  tzinfo=dt.UTC)
    engine.dispose()


def test_only_the_web_app_reads_sqlite_through_a_memory_map(settings: dict[str, Any]) -> None:
    from service.runtime import Runtime
    from service.web import create_app

    mapped = create_app(settings).extensions["tthc"].engine
    plain = Runtime.from_settings(settings).engine
    try:
        for engine, size in ((mapped, settings["web"]["sqlite_mmap_mb"] * 2**20), (plain, 0)):
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == size
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        mapped.dispose()
        plain.dispose()
