"""Shared set-up of benchmark runs: scratch PostgreSQL schemas, and the one unit and procedure."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from service.models import Procedure, Unit
from service.vocabulary import LimitUnit


def scratch_schema(base: str) -> tuple[str, Callable[[], None]]:
    """A URL whose search_path is a fresh schema on `base`, and a function that drops it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return schema_url(base, schema), drop


def schema_url(base: str, schema: str) -> str:
    """The URL `base` with its search_path set to `schema`."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


def unit_and_procedure(session: Session) -> tuple[int, int]:
    """Add the commune and a three-working-day procedure; return their ids."""
    unit = Unit(code="000.32.26.H26", name="UBND xã Thanh Miện")
    procedure = Procedure(code="1.004873", name="Cấp Giấy xác nhận tình trạng hôn nhân",
                          domain_name="Hộ tịch", limit_value=3, limit_unit=LimitUnit.WORKING_DAYS)
    session.add_all([unit, procedure])
    session.flush()
    return unit.id, procedure.id
