"""Records of connector runs, the cursor each connector resumes from, and quarantined records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class ConnectorRun(Base):
    """One ingest cycle of one connector, with its counts and its error if it failed."""

    __tablename__ = "connector_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Wall time of the last committed batch: a run without a heartbeat for long was killed.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cursor_before: Mapped[dict | None] = mapped_column(JSON)
    cursor_after: Mapped[dict | None] = mapped_column(JSON)
    batches: Mapped[int] = mapped_column(default=0)
    fetched: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # What the connector flagged although nothing failed, e.g. an empty list where there was one.
    warning: Mapped[str | None] = mapped_column(Text)


class ConnectorCursor(Base):
    """Where a connector resumes: written in the same transaction as the batch it follows."""

    __tablename__ = "connector_cursor"

    connector: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[dict | None] = mapped_column(JSON)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("connector_run.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class QuarantinedRecord(Base):
    """A record that could not be stored, kept with its payload until a clerk fixes or drops it.

    `payload` may hold the applicant's personal data (it is what the source sent): show it only
    to authorised roles and never log it. `kind` says how to replay it: "source" payloads are
    the connector's own item, "record" payloads are canonical records.
    """

    __tablename__ = "quarantined_record"
    __table_args__ = (
        UniqueConstraint("connector", "item_key", name="uq_quarantined_record_item"),
        Index("ix_quarantined_record_state_seen", "state", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(64))
    # The source's id when known, else a digest of the payload: one row per item, not per sighting.
    item_key: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(64), index=True)
    source_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict] = mapped_column(JSON)
    original_payload: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    # open -> resolved (a retry stored it) or discarded (a clerk dropped it).
    state: Mapped[str] = mapped_column(String(16), default="open")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("connector_run.id"), index=True)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    times_seen: Mapped[int] = mapped_column(default=1)
    attempts: Mapped[int] = mapped_column(default=0)
    fixed_by: Mapped[str | None] = mapped_column(String(255))
    fixed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Why a clerk dropped the item (required to discard); shown beside it afterwards.
    discard_reason: Mapped[str | None] = mapped_column(Text)


class SpreadsheetUpload(Base):
    """An export a clerk uploaded: previewed, then imported by a background job on confirm.

    The file waits under [web] upload_folder between preview and confirm and is removed once
    imported, cancelled or expired. Only the user who uploaded it, in the session that did,
    may confirm it. The page polls `rows_done` against `rows_total` while the job runs and
    takes a job whose `heartbeat_at` went stale for an interrupted one.
    """

    __tablename__ = "spreadsheet_upload"
    __table_args__ = (Index("ix_spreadsheet_upload_state_created", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The upload's name in addresses: unguessable, so ids cannot be walked.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"),
                                                index=True)
    username: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    connector: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(String(255))
    # ready -> running -> done | failed; ready -> cancelled | expired.
    state: Mapped[str] = mapped_column(String(16))
    rows_total: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("connector_run.id"))
    summary: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class WebhookReplay(Base):
    """A signature a webhook push was accepted with, kept while its timestamp is in the window.

    The body is signed together with its timestamp; a copy of an accepted push sent again within
    the window carries a signature already here and is refused.
    """

    __tablename__ = "webhook_replay"

    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    connector: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
