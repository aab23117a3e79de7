"""Alerts raised about dossiers, their deliveries per channel, daily digests and every message."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime
from service.models.types import CodeEnum
from service.vocabulary import LabelledEnum


class AlertKind(LabelledEnum):
    """What an alert is about."""

    NEAR = ("near", "Sắp đến hạn")
    OVERDUE = ("overdue", "Quá hạn")
    # Decree 118/2025/NĐ-CP Art. 19.6: apologise and give a new date at least a day before.
    APOLOGY = ("apology", "Đến hạn gửi phiếu xin lỗi")
    # A complaint (phản ánh, kiến nghị) must be answered within its own limit (Decision 766).
    COMPLAINT_NEAR = ("complaint_near", "Phản ánh, kiến nghị sắp đến hạn trả lời")
    COMPLAINT_OVERDUE = ("complaint_overdue", "Phản ánh, kiến nghị quá hạn trả lời")

    @property
    def about_complaint(self) -> bool:
        """True for the kinds raised about a complaint rather than a dossier."""
        return self in (AlertKind.COMPLAINT_NEAR, AlertKind.COMPLAINT_OVERDUE)


class DeliveryState(LabelledEnum):
    """Where a delivery stands."""

    PENDING = ("pending", "Chờ gửi")
    SENT = ("sent", "Đã gửi")
    FAILED = ("failed", "Gửi không thành công")
    CANCELLED = ("cancelled", "Đã hủy")
    # The dispatcher stopped (killed, machine down) between starting the send and recording
    # its outcome: the message may have gone out, so it is not sent again.
    UNCERTAIN = ("uncertain", "Có thể đã gửi")


class MessageKind(LabelledEnum):
    """The shape of one outbound message."""

    SINGLE = ("single", "Cảnh báo")
    BUNDLE = ("bundle", "Tổng hợp cảnh báo")
    DIGEST = ("digest", "Bản tin hằng ngày")


class Alert(Base):
    """One alert for one recipient; the unique key makes a rerun or a second scanner harmless.

    The key holds the due instant the alert is about, so an extension or a supplement restart
    that sets a new due date may warn again, while the same due date never warns twice. An
    alert is about a dossier or a complaint, never both: each has its own unique key (the
    other column is NULL there, and NULLs never collide).
    """

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("dossier_id", "kind", "level", "recipient", "due_at",
                         name="uq_alert_dossier_kind_level_recipient_due"),
        UniqueConstraint("complaint_id", "kind", "level", "recipient", "due_at",
                         name="uq_alert_complaint_kind_level_recipient_due"),
        CheckConstraint("(dossier_id IS NULL) <> (complaint_id IS NULL)", name="one_subject"),
        Index("ix_alert_recipient_created", "recipient", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AlertKind] = mapped_column(CodeEnum(AlertKind))
    # 1: the people handling the dossier; 2: escalation to the commune's leadership.
    level: Mapped[int] = mapped_column(SmallInteger)
    # A stable key of the recipient ("email:…" from configuration, later "user:…").
    recipient: Mapped[str] = mapped_column(String(255))
    recipient_name: Mapped[str] = mapped_column(String(255))
    recipient_role: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    # Outside office hours an alert waits for the next opening (escalations may not wait).
    send_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(255))


class AlertMessage(Base):
    """One attempt to send one message on one channel; failed attempts stay as the record."""

    __tablename__ = "alert_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[MessageKind] = mapped_column(CodeEnum(MessageKind))
    subject: Mapped[str] = mapped_column(String(500))
    items: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)


class Deliverable:
    """Columns of anything the dispatcher sends with retries: state, attempts, claim."""

    state: Mapped[DeliveryState] = mapped_column(CodeEnum(DeliveryState),
                                                 default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # A dispatcher claims rows before sending so that two never send the same one; a claim
    # left by a dispatcher that died runs out and the row is tried again.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(ForeignKey("alert_message.id"))


class AlertDelivery(Deliverable, Base):
    """One alert on one channel (e-mail, webhook)."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel"),
        Index("ix_alert_delivery_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))


class AlertDigest(Deliverable, Base):
    """The daily digest of one recipient on one channel: at most one per working day."""

    __tablename__ = "alert_digest"
    __table_args__ = (
        UniqueConstraint("recipient", "channel", "day"),
        Index("ix_alert_digest_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
