"""Shared fixtures: settings, databases (SQLite, and PostgreSQL when set), app, builders."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from service.cli.context import load_settings
from service.dossiers.search.keys import search_columns
from service.dossiers.search.words import replace_words
from service.ingest import national_code, new_lookup_secret
from service.models import Base, Dossier, Procedure, Unit
from service.procedures import builtin_catalogue
from service.procedures.store import upsert_catalogue
from service.runtime import Runtime
from service.vocabulary import Channel, LimitUnit, Status
from service.web import create_app
from tests.configs import merged, write_config

# Fixtures shared across folders (the SMTP stand-in, the alerts runtime) live in this plugin.
pytest_plugins = ("tests.alerts_support",)

PG_URL = os.environ.get("TTHC_TEST_DATABASE_URL")
TZ = dt.timezone(dt.timedelta(hours=7))
UNIT_CODE = "000.32.26.H26"


def local(*args: int) -> dt.datetime:
    """An instant in Vietnam time: local(2026, 2, 13, 9) is 13/02/2026 09:00 +07:00."""
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not PG_URL:
        pytest.skip("TTHC_TEST_DATABASE_URL is not set: PostgreSQL tests need a server")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """Each database the model must work on: a SQLite file, and PostgreSQL when configured."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_schema_url")


def make_settings(database_url: str, **overrides: Any) -> dict[str, Any]:
    """The default configuration, pointed at a test database, ignoring the host's TTHC_*."""
    return load_settings("config.toml", environ={},
                       overrides={"database_url": database_url, **overrides})


@pytest.fixture
def settings(tmp_path: Any) -> dict[str, Any]:
    """Default settings on a SQLite file of this test."""
    return make_settings(f"sqlite:///{tmp_path / 'app.db'}")


@pytest.fixture
def runtime(settings: dict[str, Any]) -> Iterator[Runtime]:
    """A runtime whose database has every table."""
    rt = Runtime.from_settings(settings)
    Base.metadata.create_all(rt.engine)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    """A session on the test database."""
    with runtime.sessions() as s:
        yield s


@pytest.fixture
def app(runtime: Runtime) -> Any:
    """The Flask app on the test database."""
    flask_app = create_app(runtime.settings, runtime)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def client(app: Any) -> Any:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def make_dossier(session: Session) -> Callable[..., Dossier]:
    """Build and flush a dossier; any column can be overridden by keyword."""
    counter = iter(range(1, 10**6))

    def build(**overrides: Any) -> Dossier:
        unit = session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        if unit is None:
            unit = Unit(code=UNIT_CODE, name="UBND xã Thanh Miện")
            session.add(unit)
        code = national_code(overrides.pop("procedure_code", "1.004873"))
        procedure = session.scalar(select(Procedure).where(Procedure.code == code))
        if procedure is None:
            procedure = Procedure(code=code, name="Cấp Giấy xác nhận tình trạng hôn nhân",
                                  domain_name="Hộ tịch", limit_value=3,
                                  limit_unit=LimitUnit.WORKING_DAYS)
            session.add(procedure)
        received = overrides.pop("received_at", local(2026, 3, 2, 9))
        number = next(counter)
        values: dict[str, Any] = dict(
            code=f"{UNIT_CODE}-{received:%y%m%d}-{number:04d}", unit=unit, procedure=procedure,
            applicant_name="Nguyễn Văn Bình", applicant_phone="0912345678",
            applicant_id_no="010203004567", channel=Channel.DIRECT, received_at=received,
            status=Status.PROCESSING, is_open=True, source="test", source_id=str(number),
            fingerprint="", lookup_secret=new_lookup_secret(), updated_at=received,
            due_at=received + dt.timedelta(days=3),
        )
        values.update(overrides)
        values = {**search_columns(values), **values}
        dossier = Dossier(**values)
        session.add(dossier)
        session.flush()
        replace_words(session, {dossier.id: dossier.name_key}, fresh={dossier.id})
        return dossier

    return build


# -- imports from files: a runtime with the built-in catalogue and a config file for the CLI --

@pytest.fixture
def catalogued(runtime: Runtime) -> Runtime:
    """The runtime with the built-in procedure catalogue stored."""
    with runtime.sessions.begin() as session:
        upsert_catalogue(session, builtin_catalogue())
    return runtime


def shipped_config(runtime: Runtime, folder: Path,
                   overrides: dict[str, Any] | None = None) -> Path:
    """The shipped config.toml on this runtime's database, with `overrides` merged in."""
    return write_config(folder / "config.toml", merged(
        {"database_url": runtime.settings["database_url"]}, overrides or {}))
