"""People who sign in to the clerks' web app, the units they may see, and what they did."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime
from service.models.types import CodeEnum
from service.models.units import Unit
from service.vocabulary import LabelledEnum


class Role(LabelledEnum):
    """What a user may do in the web app."""

    ADMIN = ("admin", "Quản trị hệ thống")
    CLERK = ("clerk", "Cán bộ Trung tâm phục vụ hành chính công")
    HEAD = ("head", "Lãnh đạo cơ quan giải quyết")
    VIEWER = ("viewer", "Lãnh đạo UBND (chỉ xem)")


user_unit = Table(
    "user_unit",
    Base.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A person with a login; sees only the units linked to them (an admin sees every unit)."""

    # "user" is a reserved word in PostgreSQL.
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(CodeEnum(Role))
    # For a head of a handling body: the Dossier.handler value whose dossiers they see.
    handler: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Set for a password someone else chose or saw (the demo prints one): the user must choose
    # their own before any page opens.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    # Failed sign-ins since the last good one, and until when the account refuses a password
    # (a lockout with backoff beside the per-address limit: guessing from many addresses).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Raised at sign-out and at a password change; a session cookie carrying an older value is
    # refused, so a copied cookie stops working when its owner signs out.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    units: Mapped[list[Unit]] = relationship(secondary=user_unit, order_by=Unit.code)


class AuditLog(Base):
    """One action a user took (extension issued, re-sync requested, quarantine fixed)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_dossier_at", "dossier_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    # Kept beside user_id so the log still names the person if the account is removed.
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id", ondelete="SET NULL"))
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(Text)
    # What an edit changed: [{"field": ..., "old": ..., "new": ...}], personal data included, so
    # it is shown only to whoever may see the dossier unmasked.
    changes: Mapped[list | None] = mapped_column(JSON)
