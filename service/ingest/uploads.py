"""Exports clerks upload in the browser: kept for a preview, imported on confirm by a job.

An upload is a `spreadsheet_upload` row and a file in a folder of its own under the upload
folder, under the clerk's own file name, so the summary and quarantined rows name the file the
clerk knows. The import runs through `run_connector`, as `tthc-monitor import` does, and writes
its progress to the row after each committed batch: whichever process or worker answers the
page's polling reads the same row, and a job whose process died shows as interrupted (its
heartbeat went stale) and may be confirmed again, which stores nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import shutil
import unicodedata
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from connectors.base import Batch
from connectors.spreadsheet import SUFFIXES, ExportReading, read_export
from service.config.settings import Settings
from service.ingest.imports import ImportRefused, ImportTally, failure_text, spreadsheet_connector
from service.ingest.runs import BatchResult, run_connector
from service.models import SpreadsheetUpload, User
from service.runtime import Runtime

log = logging.getLogger(__name__)
READY, RUNNING, DONE, FAILED = "ready", "running", "done", "failed"
CANCELLED, EXPIRED, INTERRUPTED = "cancelled", "expired", "interrupted"
STATE_LABELS = {READY: "Chờ xác nhận", RUNNING: "Đang nhập", DONE: "Đã nhập xong",
                FAILED: "Không nhập được", CANCELLED: "Đã hủy", EXPIRED: "Đã hết hạn",
                INTERRUPTED: "Bị gián đoạn"}
PREVIEW_ROWS = 10
# Body rows read for the preview: enough to count refusals in a day's export, bounded so the
# page answers in about a second however large the file (20 000 rows take 14 s to read).
SCAN_ROWS = 1000
# A running job renews its heartbeat after every batch; one silent this long has died.
STALE_AFTER = dt.timedelta(minutes=2)
# Refused rows listed in a stored summary; the rest are counted and wait in quarantine.
MAX_PROBLEMS = 500
NAME_LIMIT = 120
FORBIDDEN = set('<>:"|?*')


class UploadError(ValueError):
    """An upload or an action on it refused; the message, in Vietnamese, is for the clerk."""


def safe_name(filename: str) -> str:
    """The file's own name without folders or characters file systems refuse; a known suffix."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", filename or "")[-1])
    cleaned = "".join(c for c in base if c.isprintable() and c not in FORBIDDEN).strip(" .")
    suffix = Path(cleaned).suffix
    if suffix.lower() not in SUFFIXES:
        shown = cleaned or "không tên"
        raise UploadError(f"Tệp «{shown}» không phải bảng tính Excel (.xlsx, .xlsm) hay tệp CSV "
                          "(.csv); hãy xuất danh sách hồ sơ từ phần mềm một cửa ở một trong "
                          "các dạng đó")
    stem = cleaned[: -len(suffix)].strip(" .") or "tep"
    return stem[:NAME_LIMIT] + suffix.lower()


def create_upload(session: Session, folder: Path, source: BinaryIO, filename: str, user: User,
                  connector: str, now: dt.datetime, max_bytes: int) -> SpreadsheetUpload:
    """Keep an uploaded file and its row, ready for the preview; flush, no commit."""
    name = safe_name(filename)
    upload = SpreadsheetUpload(token=secrets.token_urlsafe(16), user_id=user.id,
                               username=user.username, filename=name, connector=connector,
                               state=READY, created_at=now)
    upload.stored_name = f"{upload.token}/{name}"
    target = folder / upload.stored_name
    target.parent.mkdir(parents=True)
    try:
        upload.size, upload.digest = _copy(source, target, max_bytes)
    except UploadError:
        remove_file(folder, upload)
        raise
    if upload.size == 0:
        remove_file(folder, upload)
        raise UploadError(f"Tệp «{name}» rỗng (0 byte); hãy chọn lại tệp đã xuất")
    session.add(upload)
    session.flush()
    return upload


def _copy(source: BinaryIO, target: Path, max_bytes: int) -> tuple[int, str]:
    """Copy in blocks, refusing more than `max_bytes`; return the size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as handle:
        for block in iter(lambda: source.read(1 << 16), b""):
            size += len(block)
            if size > max_bytes:
                raise UploadError(too_large(target.name, max_bytes))
            digest.update(block)
            handle.write(block)
    return size, digest.hexdigest()


def too_large(name: str | None, max_bytes: int) -> str:
    """Why a file over the upload limit was refused."""
    what = f"Tệp «{name}»" if name else "Tệp"
    return (f"{what} lớn hơn giới hạn {max_bytes >> 20} MB cho một lần tải lên; hãy xuất "
            "từng khoảng thời gian ngắn hơn, hoặc nhờ quản trị viên nhập tệp bằng lệnh "
            "tthc-monitor import")


def preview(upload: SpreadsheetUpload, folder: Path, settings: Settings) -> ExportReading:
    """Read the upload's header and first rows, storing nothing; SpreadsheetError if unreadable."""
    try:
        connector = spreadsheet_connector(settings, upload.connector, upload.sheet)
    except ImportRefused as exc:
        raise UploadError(str(exc)) from None
    return read_export(folder / upload.stored_name, connector.reader, PREVIEW_ROWS, SCAN_ROWS)


def earlier_import(session: Session, upload: SpreadsheetUpload) -> SpreadsheetUpload | None:
    """The last finished import of a file with the same content, if any."""
    return session.scalar(
        select(SpreadsheetUpload)
        .where(SpreadsheetUpload.digest == upload.digest, SpreadsheetUpload.state == DONE,
               SpreadsheetUpload.id != upload.id)
        .order_by(SpreadsheetUpload.finished_at.desc()).limit(1))


def is_interrupted(upload: SpreadsheetUpload, now: dt.datetime) -> bool:
    """True for a running job whose heartbeat went stale: its process ended mid-import."""
    beat = upload.heartbeat_at or upload.started_at
    return upload.state == RUNNING and beat is not None and beat < now - STALE_AFTER


def claim(session: Session, upload: SpreadsheetUpload, now: dt.datetime) -> bool:
    """Mark a ready or interrupted upload as running; False when it is neither (a double click,
    another tab). One UPDATE, so two requests cannot both start the job."""
    table = SpreadsheetUpload
    result = session.execute(
        update(table)
        .where(table.id == upload.id,
               or_(table.state == READY,
                   and_(table.state == RUNNING, table.heartbeat_at < now - STALE_AFTER)))
        .values(state=RUNNING, started_at=now, heartbeat_at=now, rows_done=0, error=None)
        .execution_options(synchronize_session=False))
    session.refresh(upload)
    return result.rowcount == 1


def run_upload(runtime: Runtime, upload_id: int, folder: Path) -> None:
    """Import a claimed upload as one connector run; progress per batch, then the summary.

    The file is removed afterwards, whether the import succeeded or not.
    """
    with runtime.sessions() as session:
        upload = session.get_one(SpreadsheetUpload, upload_id)
        path, name, sheet = folder / upload.stored_name, upload.connector, upload.sheet
        token = upload.token
    try:
        outcome = _import(runtime, upload_id, path, name, sheet)
    finally:
        shutil.rmtree(folder / token, ignore_errors=True)
    _write(runtime, upload_id, finished_at=runtime.now(), **outcome)


def _import(runtime: Runtime, upload_id: int, path: Path, name: str, sheet: str | None
            ) -> dict[str, Any]:
    """Run the import; return the row's final values: state, summary, run or error."""
    try:
        connector = spreadsheet_connector(runtime.config, name, sheet)
    except ImportRefused as exc:
        return {"state": FAILED, "error": str(exc)}
    connector.files = [path]
    tally = ImportTally(connector, path)

    def seen(batch: Batch, result: BatchResult) -> None:
        tally.add(batch, result)
        _write(runtime, upload_id, rows_done=tally.rows, heartbeat_at=runtime.now())

    try:
        run = run_connector(runtime.sessions, connector, runtime.derive, runtime.now(),
                            on_batch=seen)
    except Exception as exc:  # noqa: BLE001 - the clerk reads why on the page
        log.info("upload %s failed: %s: %s", upload_id, type(exc).__name__, exc)
        return {"state": FAILED, "error": failure_text(path, exc),
                "summary": tally.summary().stored(MAX_PROBLEMS)}
    return {"state": DONE, "run_id": run.id, "rows_done": tally.rows,
            "summary": tally.summary().stored(MAX_PROBLEMS)}


def _write(runtime: Runtime, upload_id: int, **values: Any) -> None:
    with runtime.sessions.begin() as session:
        session.execute(update(SpreadsheetUpload).where(SpreadsheetUpload.id == upload_id)
                        .values(**values))


def cancel(upload: SpreadsheetUpload, folder: Path, now: dt.datetime) -> None:
    """Drop an upload not yet confirmed, and its file."""
    if upload.state != READY:
        raise UploadError(f"Tệp «{upload.filename}» {STATE_LABELS[upload.state].lower()}; "
                          "chỉ hủy được tệp đang chờ xác nhận")
    upload.state, upload.finished_at = CANCELLED, now
    remove_file(folder, upload)


def sweep(session: Session, folder: Path, now: dt.datetime, keep: dt.timedelta) -> int:
    """Expire uploads left unconfirmed longer than `keep` and remove their files."""
    rows = session.scalars(select(SpreadsheetUpload).where(
        SpreadsheetUpload.state == READY, SpreadsheetUpload.created_at < now - keep)).all()
    for row in rows:
        row.state, row.finished_at = EXPIRED, now
        remove_file(folder, row)
    session.flush()
    return len(rows)


def remove_file(folder: Path, upload: SpreadsheetUpload) -> None:
    """Remove the upload's folder (its token, never a path the clerk chose) and its file."""
    shutil.rmtree(folder / upload.token, ignore_errors=True)


def progress(upload: SpreadsheetUpload, now: dt.datetime) -> dict[str, Any]:
    """What the page's progress bar shows: state, rows done of the total, and a label."""
    state = INTERRUPTED if is_interrupted(upload, now) else upload.state
    total = max(upload.rows_total or 0, upload.rows_done)
    percent = 100 if state == DONE else (100 * upload.rows_done // total if total else 0)
    return {"state": state, "label": STATE_LABELS[state], "done": upload.rows_done,
            "total": total, "percent": percent,
            "text": f"Đã đọc {upload.rows_done:,} / khoảng {total:,} dòng".replace(",", ".")}


def recent(session: Session, user: User, limit: int = 10) -> list[SpreadsheetUpload]:
    """The user's latest uploads, newest first."""
    return list(session.scalars(
        select(SpreadsheetUpload).where(SpreadsheetUpload.user_id == user.id)
        .order_by(SpreadsheetUpload.created_at.desc(), SpreadsheetUpload.id.desc())
        .limit(limit)))
