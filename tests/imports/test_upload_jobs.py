"""The upload job: one start per confirmation, interrupted jobs restart, stale uploads expire."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.ingest import uploads
from service.ingest.imports import ImportSummary
from service.models import ConnectorRun, SpreadsheetUpload, User
from service.runtime import Runtime
from tests.conftest import local
from tests.fixtures.spreadsheet.exports import provincial_export
from tests.pages_support import add_user

NOW = local(2026, 3, 10, 9)


def _upload(session: Session, folder: Path, data: bytes, name: str = "thang3.xlsx"
            ) -> SpreadsheetUpload:
    user = session.scalar(select(User)) or add_user(session, "lan", "clerk")
    item = uploads.create_upload(session, folder, io.BytesIO(data), name, user, "spreadsheet",
                                 NOW, 1 << 20)
    session.commit()
    return item


def test_a_second_confirmation_starts_no_second_job(session: Session, tmp_path: Path) -> None:
    item = _upload(session, tmp_path, b"a;b\n")
    assert uploads.claim(session, item, NOW)
    assert not uploads.claim(session, item, NOW + dt.timedelta(seconds=5))
    assert item.state == uploads.RUNNING


def test_a_job_silent_past_its_heartbeat_is_interrupted_and_may_start_again(
        session: Session, tmp_path: Path) -> None:
    item = _upload(session, tmp_path, b"a;b\n")
    uploads.claim(session, item, NOW)
    later = NOW + uploads.STALE_AFTER - dt.timedelta(seconds=1)
    assert not uploads.is_interrupted(item, later)
    assert not uploads.claim(session, item, later)
    stale = NOW + uploads.STALE_AFTER + dt.timedelta(seconds=1)
    assert uploads.progress(item, stale)["label"] == "Bị gián đoạn"
    assert uploads.claim(session, item, stale)
    assert (item.state, item.started_at) == (uploads.RUNNING, stale)


def test_unconfirmed_uploads_expire_with_their_files(session: Session, tmp_path: Path) -> None:
    old = _upload(session, tmp_path, b"a;b\n", "cu.csv")
    fresh = _upload(session, tmp_path, b"a;b\n", "moi.csv")
    fresh.created_at = NOW + dt.timedelta(hours=23)
    session.commit()
    assert uploads.sweep(session, tmp_path, NOW + dt.timedelta(hours=24, seconds=1),
                         dt.timedelta(hours=24)) == 1
    assert (old.state, fresh.state) == (uploads.EXPIRED, uploads.READY)
    assert not (tmp_path / old.token).exists()
    assert (tmp_path / fresh.token / "moi.csv").is_file()


def test_the_job_records_its_summary_run_and_progress_then_removes_the_file(
        catalogued: Runtime, tmp_path: Path) -> None:
    with catalogued.sessions() as session:
        item = _upload(session, tmp_path, provincial_export(tmp_path / "x.xlsx").read_bytes())
        uploads.claim(session, item, NOW)
        session.commit()
        item_id = item.id
    uploads.run_upload(catalogued, item_id, tmp_path)
    with catalogued.sessions() as session:
        item = session.get_one(SpreadsheetUpload, item_id)
        run = session.get_one(ConnectorRun, item.run_id)
        summary = ImportSummary.from_stored(item.summary)
    assert (item.state, item.rows_done, item.rows_total) == (uploads.DONE, 5, None)
    assert (run.created, run.rejected) == (4, 1)
    assert summary.counts_line() == "tạo mới 4, cập nhật 0, không đổi 0, bị từ chối 1"
    assert summary.problems == ["Dòng 16, cột «Hạn xử lý»: «31/02/2026» không phải ngày hợp lệ "
                                "(dd/mm/yyyy)"]
    assert not (tmp_path / item.token).exists()


def test_a_job_whose_file_went_missing_fails_saying_so(catalogued: Runtime,
                                                       tmp_path: Path) -> None:
    with catalogued.sessions() as session:
        item = _upload(session, tmp_path, b"Ma ho so;Ten\n1;a\n", "mat.csv")
        uploads.claim(session, item, NOW)
        session.commit()
        item_id = item.id
    uploads.remove_file(tmp_path, item)
    uploads.run_upload(catalogued, item_id, tmp_path)
    with catalogued.sessions() as session:
        item = session.get_one(SpreadsheetUpload, item_id)
    assert item.state == uploads.FAILED
    assert item.error == ("Tệp mat.csv: không còn tệp để đọc (đã bị xóa); hãy tải lên hoặc "
                          "chọn lại tệp")
