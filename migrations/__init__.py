"""Alembic migrations of the tthc-monitor schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy import Engine

from service.db import UTCDateTime
from service.models.types import CodeEnum

HERE = Path(__file__).parent


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs these migrations on the given engine."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write project column types as the plain SQL types they store, so migrations stand alone."""
    if kind == "type" and isinstance(obj, CodeEnum):
        return "sa.SmallInteger()" if obj.numeric else "sa.String(length=20)"
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def compare_type(context: Any, inspected: Any, metadata: Any, *args: Any) -> bool | None:
    """Compare project types by what they store."""
    if isinstance(metadata.type, CodeEnum | UTCDateTime):
        stored = metadata.type.load_dialect_impl(context.dialect)
        if isinstance(stored, sa.DateTime):
            return not isinstance(inspected.type, sa.DateTime)
        return inspected.type._type_affinity is not stored._type_affinity
    return None
