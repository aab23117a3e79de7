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

# Byte order on PostgreSQL too, so that a prefix is one index range whatever the database's
# locale (a linguistic collation ignores spaces and would interleave other names).
SEARCH_KEY = String(255).with_variant(String(255, collation="C"), "postgresql")


class Dossier(Base):
    """One application (hồ sơ) for one procedure, as the source system last reported it.

    The applicant's ID number, phone and e-mail are personal data: never log them.
    """

    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_open_due", "is_open", "due_at"),
        Index("ix_dossier_open_near", "is_open", "near_at"),
        # Covering the name search's check as well (see ix_dossier_name_key_cover below).
        Index("ix_dossier_unit_received_cover", "unit_id", "received_at", "id", "handler",
              "name_key", "code"),
        # One unit's dossiers, covering what two reports read so neither touches the table:
        # the on-time chart's month of one unit is a range of (unit_id, finished_at) with the
        # outcome beside it, and the late-dossiers table of the handling-time report walks
        # the unit's entries with every column its "late" test reads, the apology reason and
        # the id its history lookup needs (without the id PostgreSQL read the rows) (reading
        # the rows cost a clerk's dashboard 0.3-0.4 s and that report 0.9-1.3 s of CPU on
        # SQLite at 1 000 000 dossiers; bench/reports.py).
        Index("ix_dossier_unit_finished_cover", "unit_id", "finished_at", "outcome", "handler",
              "status", "due_at", "received_at", "returned_at", "stopped_at", "is_open",
              "updated_at", "extension_reason", "id"),
        # Web app: the newest-first list of every unit; the open dossiers the
        # dashboard counts (partial and covering, ordered so that grouping by procedure and
        # handling body needs no sort); the on-time chart.
        Index("ix_dossier_received_cover", "received_at", "id", "unit_id", "handler",
              "name_key", "code"),
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
        UniqueConstraint("source", "source_id", name="uq_dossier_source_source_id"),
        # Search (see service/dossiers/search): a name prefix is a range of name_key; a phone,
        # an ID number or "my dossiers" is one value of its key, newest first straight from
        # the index.
        # Every index a name search reads also carries the scope (unit, handling body), the
        # name and the list's order (received_at, id), so a search chooses its page, and
        # counts, from indexes alone and reads only the rows it shows: reading each candidate
        # row to check its unit, handling body or name cost a cold search up to 1.4 s at
        # 1 000 000 dossiers (bench/search.py). A prefix is a range of the name's index; a
        # later word gives ids (dossier_name_word) checked in the id index; a common name
        # walks the newest-first indexes (all, by unit, by handling body), as does a code
        # tail over the days around its date.
        Index("ix_dossier_name_key_cover", "name_key", "unit_id", "handler", "received_at",
              "id"),
        Index("ix_dossier_id_cover", "id", "unit_id", "handler", "name_key", "received_at"),
        Index("ix_dossier_phone_key_received", "phone_key", "received_at"),
        Index("ix_dossier_id_no_key_received", "id_no_key", "received_at"),
        Index("ix_dossier_receiver_key_received", "receiver_key", "received_at"),
        # A head of a handling body sees only its dossiers: newest first without a sort, and
        # a search of a common name walks them in order (measured in bench/search.py).
        Index("ix_dossier_handler_received_cover", "handler", "received_at", "id", "unit_id",
              "name_key", "code"),
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
    # The source's own spelling when it differs from the name shown (OpenCPS upper-cases it).
    source_applicant_name: Mapped[str | None] = mapped_column(String(255))
    applicant_id_no: Mapped[str | None] = mapped_column(String(32))
    applicant_phone: Mapped[str | None] = mapped_column(String(32))
    applicant_email: Mapped[str | None] = mapped_column(String(255))
    applicant_type: Mapped[int] = mapped_column(default=1)
    channel: Mapped[Channel] = mapped_column(CodeEnum(Channel))
    handler: Mapped[str | None] = mapped_column(String(255))
    received_by: Mapped[str | None] = mapped_column(String(255))
    # Normalised search keys kept by the ingest (service.dossiers.search.keys): personal data
    # like the columns they come from.
    name_key: Mapped[str | None] = mapped_column(SEARCH_KEY)
    phone_key: Mapped[str | None] = mapped_column(String(16))
    id_no_key: Mapped[str | None] = mapped_column(String(32))
    receiver_key: Mapped[str | None] = mapped_column(String(255))

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
    # Whether the applicant agreed to notices by SMS or Zalo, where the source records it
    # (None: the source says nothing).
    notice_consent: Mapped[bool | None] = mapped_column(Boolean)

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


class NameWord(Base):
    """A dossier's name from its second, third, ... word on: a word search is a range of these."""

    __tablename__ = "dossier_name_word"
    __table_args__ = (
        # Deleting or checking one dossier's words goes by dossier.
        Index("ix_dossier_name_word_dossier_id", "dossier_id"),
        {"sqlite_with_rowid": False},
    )

    word: Mapped[str] = mapped_column(SEARCH_KEY, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"),
                                            primary_key=True)


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
