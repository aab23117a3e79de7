"""Complaints and recommendations (phản ánh, kiến nghị) citizens send about dossier handling."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime
from service.models.dossiers import Dossier
from service.models.types import CodeEnum
from service.models.units import Unit
from service.vocabulary import DeadlineClass, LabelledEnum


class ComplaintStatus(LabelledEnum):
    """Where a complaint stands; the first three are open (its clock runs)."""

    NEW = ("new", "Chờ tiếp nhận")
    RECEIVED = ("received", "Đã tiếp nhận")
    ASSIGNED = ("assigned", "Đã chuyển cơ quan giải quyết")
    ANSWERED = ("answered", "Đã trả lời")
    CLOSED = ("closed", "Đã kết thúc")

    @property
    def is_open(self) -> bool:
        """True until the complaint is answered or closed."""
        return self in (ComplaintStatus.NEW, ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED)


class ComplaintSource(LabelledEnum):
    """Where the citizen sent the complaint from."""

    LOOKUP = ("lookup", "Từ trang tra cứu hồ sơ")
    PUBLIC = ("public", "Từ biểu mẫu phản ánh, kiến nghị")


class Complaint(Base):
    """One complaint or recommendation, with its time limit, handling and answer.

    The citizen's name, phone and the content are personal data: never log them; pages mask
    the name outside the complaint's own page and alerts carry only the masked name.
    """

    __tablename__ = "complaint"
    __table_args__ = (
        # The scan reads open complaints by the instants they turn near or overdue.
        Index("ix_complaint_open_due", "is_open", "due_at"),
        Index("ix_complaint_open_near", "is_open", "near_at"),
        Index("ix_complaint_unit_submitted", "unit_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # PAKN-yymmdd-nnn: the submission day and its number that day; the citizen keeps it.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    source: Mapped[ComplaintSource] = mapped_column(CodeEnum(ComplaintSource))
    name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)

    # The clock starts at submission: the office holds the complaint from that instant.
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    near_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[ComplaintStatus] = mapped_column(CodeEnum(ComplaintStatus))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Kept by the deadline scan, like a dossier's; None once answered or closed.
    deadline_class: Mapped[DeadlineClass | None] = mapped_column(CodeEnum(DeadlineClass))

    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The receiving clerk's full name: clerk alerts are matched by name, as for dossiers.
    received_by: Mapped[str | None] = mapped_column(String(255))
    handler: Mapped[str | None] = mapped_column(String(255), index=True)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(255))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    close_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)

    unit: Mapped[Unit] = relationship()
    dossier: Mapped[Dossier | None] = relationship()

    @property
    def handled_at(self) -> dt.datetime | None:
        """When the office finished with it: the answer, else a close without one."""
        return self.answered_at or self.closed_at
