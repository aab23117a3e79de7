"""Agencies the deployment serves and the procedures they handle."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base
from service.models.types import CodeEnum
from service.vocabulary import LimitUnit


class Unit(Base):
    """An agency (a commune or one of its bodies), identified like 000.32.26.H26."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class Procedure(Base):
    """An administrative procedure (TTHC) with its statutory time limit."""

    __tablename__ = "procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    domain_code: Mapped[str | None] = mapped_column(String(64))
    domain_name: Mapped[str] = mapped_column(String(255))
    handler: Mapped[str | None] = mapped_column(String(255))
    limit_value: Mapped[int] = mapped_column(Integer)
    limit_unit: Mapped[LimitUnit] = mapped_column(CodeEnum(LimitUnit))
    limit_if_verification: Mapped[int | None] = mapped_column(Integer)
    fee: Mapped[int | None] = mapped_column(Integer)
    online_level: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))
