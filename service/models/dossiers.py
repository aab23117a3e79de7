"""Dossiers, their append-only status history and their supplement rounds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime
from service.models.types import CodeEnum
from service.models.units import Procedure, Unit
from service.vocabulary import Channel, DeadlineClass, Outcome, Status


class Dossier(Base):
    """One application (hồ sơ) for one procedure, as the source system last reported it.

    The applicant's ID number, phone and e-mail are personal data: never log them.
    """

    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_open_due", "is_open", "due_at"),
        Index("ix_dossier_open_near", "is_open", "near_at"),
        Index("ix_dossier_unit_received", "unit_id", "received_at"),
        Index("ix_dossier_unit_finished", "unit_id", "finished_at"),
        # Web app (issue 7): the newest-first list of every unit; the open dossiers the
        # dashboard counts (partial and covering, ordered so that grouping by procedure and
        # handling body needs no sort); the on-time chart.
        Index("ix_dossier_received_at", "received_at"),
        Index("ix_dossier_open_cover", "is_open", "procedure_id", "handler", "status",
              "due_at", "near_at", "extension_due_at", "unit_id",
              sqlite_where=text("is_open = 1"), postgresql_where=text("is_open")),
        Index("ix_dossier_finished_outcome", "finished_at", "outcome", "unit_id", "handler"),
        # The handling-time report: finished dossiers in (procedure, duration) order, covering
        # the filter, so the median and p90 come from one ordered read with no sort (a sort of
        # a year at 1 000 000 dossiers took SQLite 4-6 s).
        *(Index(f"ix_dossier_{name}", "procedure_id", name, "finished_at", "returned_at",
                "stopped_at", "unit_id", "status",
                sqlite_where=text(f"{name} IS NOT NULL"),
                postgresql_where=text(f"{name} IS NOT NULL"))
          for name in ("handling_working_min", "handling_elapsed_min")),
        # The reasons apology letters gave, by handling body: only dossiers with an apology.
        Index("ix_dossier_apology_reason", "handler", "extension_reason",
              sqlite_where=text("extension_reason IS NOT NULL"),
              postgresql_where=text("extension_reason IS NOT NULL")),
        UniqueConstraint("source", "source_id", name="uq_dossier_source_source_id"),
        # Free room in each page lets PostgreSQL update a dossier's class in place (a HOT
        # update) instead of writing into every index: the scan after a day boundary at
        # 1 000 000 dossiers drops from 2.4 s to 1.5 s (bench/scan.py).
        {"postgresql_with": {"fillfactor": 90}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), index=True)
    summary: Mapped[str | None] = mapped_column(String(1000))
    applicant_name: Mapped[str] = mapped_column(String(255))
    applicant_id_no: Mapped[str | None] = mapped_column(String(32))
    applicant_phone: Mapped[str | None] = mapped_column(String(32))
    applicant_email: Mapped[str | None] = mapped_column(String(255))
    applicant_type: Mapped[int] = mapped_column(default=1)
    channel: Mapped[Channel] = mapped_column(CodeEnum(Channel))
    handler: Mapped[str | None] = mapped_column(String(255), index=True)
    received_by: Mapped[str | None] = mapped_column(String(255))

    filed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    source_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    statutory_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The due date the dossier is judged by: source or statutory (configuration), or the extension.
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When an open dossier enters "near deadline"; indexed so the scan needs no full pass.
    near_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    portal_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    extension_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    extension_signer: Mapped[str | None] = mapped_column(String(255))
    # Recorded on or after the day of the due date it moves (Decree 118/2025 Art. 19.6 asks
    # for it at least one day before): printed for the citizen, but it moves no verdict.
    extension_late: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())

    status: Mapped[Status] = mapped_column(CodeEnum(Status), index=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    source_status: Mapped[str | None] = mapped_column(String(64))
    source_sub_status: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Receipt to finish, in office time of the working calendar and in calendar time, whole
    # minutes; written with the deadline columns so the handling-time report needs no
    # calendar arithmetic per row (NULL while open or without a finishing instant).
    handling_working_min: Mapped[int | None] = mapped_column()
    handling_elapsed_min: Mapped[int | None] = mapped_column()

    deadline_class: Mapped[DeadlineClass | None] = mapped_column(CodeEnum(DeadlineClass))
    outcome: Mapped[Outcome | None] = mapped_column(CodeEnum(Outcome))
    portal_outcome: Mapped[Outcome | None] = mapped_column(CodeEnum(Outcome))

    fee_due: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_online: Mapped[bool] = mapped_column(Boolean, default=False)
    digitized: Mapped[bool] = mapped_column(Boolean, default=False)
    electronic_result: Mapped[bool] = mapped_column(Boolean, default=False)

    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    source_modified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Hash of the last canonical record stored, so an unchanged record costs no write.
    fingerprint: Mapped[str] = mapped_column(String(32))
    lookup_secret: Mapped[str] = mapped_column(String(32))
    # Set on every write by ingestion or a clerk; the deadline scan reads what changed since.
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)

    unit: Mapped[Unit] = relationship()
    procedure: Mapped[Procedure] = relationship()
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="dossier", order_by="StatusEvent.at", viewonly=True
    )
    supplements: Mapped[list[SupplementRound]] = relationship(
        back_populates="dossier", order_by="SupplementRound.requested_at", viewonly=True
    )


class StatusEvent(Base):
    """One line of a dossier's history; rows are only ever added."""

    __tablename__ = "status_event"
    # The unique key leads with dossier_id, so it serves a dossier's lookups and foreign key.
    __table_args__ = (UniqueConstraint("dossier_id", "at", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[Status] = mapped_column(CodeEnum(Status))
    actor: Mapped[str | None] = mapped_column(String(255))
    department: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship(back_populates="events")


class SupplementRound(Base):
    """A request for supplementation and, once it arrives, its completion."""

    __tablename__ = "supplement_round"
    __table_args__ = (UniqueConstraint("dossier_id", "requested_at"),)  # serves lookups too

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship(back_populates="supplements")


@event.listens_for(StatusEvent, "before_update")
@event.listens_for(StatusEvent, "before_delete")
def _history_is_append_only(mapper: object, connection: object, target: StatusEvent) -> None:
    raise ValueError(f"status history is append-only: event {target.id} cannot change")
