"""The national portal (DVCQG) mirror: sync state, synced progress lines, outbox and runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime
from service.models.dossiers import Dossier
from service.models.types import CodeEnum
from service.vocabulary import LabelledEnum


class SyncState(LabelledEnum):
    """Whether the portal holds what the monitor holds for a dossier."""

    PENDING = ("pending", "Chờ đồng bộ")
    SYNCED = ("synced", "Đã đồng bộ")
    FAILED = ("failed", "Đồng bộ lỗi")
    NOT_REQUIRED = ("not_required", "Không yêu cầu đồng bộ")


class PortalSync(Base):
    """What the portal acknowledged for one dossier, and what is left to push.

    `changed_at` is the oldest change the portal has not acknowledged (the sync lag starts
    there); `seen_updated_at` is the dossier's `updated_at` when the sync job last compared
    payload hashes, so unchanged dossiers cost nothing.
    """

    __tablename__ = "portal_sync"
    __table_args__ = (
        Index("ix_portal_sync_state_next", "state", "next_attempt_at"),
        Index("ix_portal_sync_reconciled", "state", "reconciled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    state: Mapped[SyncState] = mapped_column(CodeEnum(SyncState))
    seen_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    current_hash: Mapped[str | None] = mapped_column(String(32))
    changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # True once the portal acknowledged the dossier: later pushes are updates (isUpdating).
    on_portal: Mapped[bool] = mapped_column(Boolean, default=False)
    acked_hash: Mapped[str | None] = mapped_column(String(32))
    acked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acked_status: Mapped[int | None] = mapped_column(SmallInteger)
    reply: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # A permanent error waits for the data to change or a clerk to re-queue; no automatic retry.
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    not_required_reason: Mapped[str | None] = mapped_column(String(255))
    portal_status: Mapped[int | None] = mapped_column(SmallInteger)
    reconciled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    requeued_by: Mapped[str | None] = mapped_column(String(255))
    requeued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    dossier: Mapped[Dossier] = relationship()


class PortalProgressLine(Base):
    """A history line (StatusEvent) the portal acknowledged through CapNhatTienDoHoSoMC."""

    __tablename__ = "portal_progress_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("status_event.id"), unique=True)
    acked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PortalOutbox(Base):
    """A call recorded instead of sent (mode "record"); holds the applicant's data as sent."""

    __tablename__ = "portal_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    service: Mapped[str] = mapped_column(String(32))
    madonvi: Mapped[str] = mapped_column(String(64))
    is_updating: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[int | None] = mapped_column(SmallInteger)
    body: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PortalSyncRun(Base):
    """One run of the sync or reconcile job, with its counts; `watermark` feeds the next scan."""

    __tablename__ = "portal_sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Highest dossier.updated_at compared by this run, and the not-required rules it applied.
    watermark: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rules_key: Mapped[str | None] = mapped_column(String(32))
    checked: Mapped[int] = mapped_column(default=0)
    attempted: Mapped[int] = mapped_column(default=0)
    acked: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    mismatched: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
