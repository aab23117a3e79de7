"""Notices to citizens about their dossier, every attempt to send one, opt-outs, OA tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime
from service.models.types import CodeEnum
from service.vocabulary import LabelledEnum


class NoticeKind(LabelledEnum):
    """The moments of a dossier the citizen is told about (Decree 118/2025/NĐ-CP)."""

    RECEIVED = ("received", "Tiếp nhận hồ sơ")
    SUPPLEMENT = ("supplement", "Yêu cầu bổ sung hồ sơ")
    APOLOGY = ("apology", "Xin lỗi và hẹn lại ngày trả kết quả")
    RESULT = ("result", "Đã có kết quả")
    REFUSED = ("refused", "Không tiếp nhận, dừng xử lý hồ sơ")
    # The answer to a complaint or recommendation (phản ánh, kiến nghị), sent to the phone
    # given with it; a notice of a complaint, not of a dossier.
    ANSWER = ("answer", "Trả lời phản ánh, kiến nghị")


class NoticeState(LabelledEnum):
    """Where a notice stands."""

    PENDING = ("pending", "Chờ gửi")
    SENT = ("sent", "Đã gửi")
    FAILED = ("failed", "Gửi không thành công")
    SKIPPED = ("skipped", "Không gửi")


class CitizenNotice(Base):
    """One notice about one dossier or one complaint; the unique keys send each kind at most
    once a dossier, and a complaint's answer once."""

    __tablename__ = "citizen_notice"
    __table_args__ = (
        UniqueConstraint("dossier_id", "kind"),
        UniqueConstraint("complaint_id", "kind"),
        CheckConstraint("(dossier_id IS NULL) <> (complaint_id IS NULL)",
                        name="dossier_or_complaint"),
        Index("ix_citizen_notice_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"))
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"))
    kind: Mapped[NoticeKind] = mapped_column(CodeEnum(NoticeKind))
    # When the event happened as the source tells it (a history line, the apology's issue).
    event_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # What the source said with the event: the missing papers, the reason for a refusal.
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    state: Mapped[NoticeState] = mapped_column(CodeEnum(NoticeState),
                                               default=NoticeState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # A dispatcher claims rows before sending so that two never send the same one; a claim
    # left by a dispatcher that died runs out and the row is tried again.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(16))
    # Why it was not sent or the last failure, in Vietnamese for the dossier page.
    reason: Mapped[str | None] = mapped_column(Text)


class NoticeAttempt(Base):
    """One try of one notice on one channel; the record shown on the dossier page."""

    __tablename__ = "citizen_notice_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("citizen_notice.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The provider's message id (ZNS msg_id, the SMS gateway's id) when it accepted it.
    provider_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)


class NoticeOptOut(Base):
    """A citizen's refusal of further notices about one dossier, told online or to a clerk."""

    __tablename__ = "citizen_notice_opt_out"

    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # "citizen" from the lookup page, else the clerk's user name.
    by: Mapped[str] = mapped_column(String(255))


class NoticeToken(Base):
    """The Zalo Official Account's current tokens.

    Zalo's refresh tokens work once: each refresh answers a new pair, so the pair must be kept
    where every process finds it, not in configuration. `seed_hash` is the digest of the
    refresh token configuration gave, so a new one given after re-authorising the OA wins.
    """

    __tablename__ = "notice_token"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    seed_hash: Mapped[str | None] = mapped_column(String(64))
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
