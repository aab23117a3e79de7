"""Uploading an export in the browser, through the HTTP client: preview, confirm, summary, and
every way an upload is refused (too large, not a spreadsheet, someone else's, no form token)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.cli import cli
from service.ingest import uploads
from service.models import AuditLog, Base, Dossier, SpreadsheetUpload
from service.procedures import builtin_catalogue
from service.procedures.store import upsert_catalogue
from service.runtime import Runtime
from service.web.pages.imports import THREAD_PREFIX
from tests.conftest import make_settings, shipped_config
from tests.imports.support import export_bytes, send
from tests.pages_support import FAST_HASHES, add_user, csrf_token, login

MAX_MB = 1


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    """Cheap password hashes, a 1 MB upload limit and an upload folder of this test."""
    return make_settings(f"sqlite:///{tmp_path / 'app.db'}",
                         web={**FAST_HASHES, "upload_max_mb": MAX_MB,
                              "upload_folder": str(tmp_path / "uploads")})


@pytest.fixture
def folder(settings: dict[str, Any]) -> Path:
    return Path(settings["web"]["upload_folder"])


def finish_imports() -> None:
    """Wait for the background imports the pages started (joined, not slept on)."""
    for thread in threading.enumerate():
        if thread.name.startswith(THREAD_PREFIX):
            thread.join(timeout=120)
            assert not thread.is_alive()


def only_upload(session: Session) -> SpreadsheetUpload:
    session.expire_all()
    return session.scalars(select(SpreadsheetUpload)).one()


def test_a_clerk_previews_confirms_and_reads_the_summary_the_cli_prints(
        client: Any, session: Session, catalogued: Runtime, folder: Path,
        tmp_path: Path) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    sent = send(client, export_bytes(tmp_path), "Tháng 3.xlsx")
    assert sent.status_code == 302
    upload = only_upload(session)
    assert (folder / upload.token / "Tháng 3.xlsx").is_file()
    preview = client.get(sent.location).get_data(as_text=True)
    assert "<td data-label=\"Tiêu đề trong tệp\">Số hồ sơ</td><td data-label=\"Nhập vào trường\">" \
           "Mã hồ sơ</td>" in preview
    assert "«STT» (A, số thứ tự)" in preview and "«Ghi chú» (N, không dùng)" in preview
    assert "5 dòng hồ sơ: 4 đọc được, 1 có lỗi" in preview
    assert "Dòng 16, cột «Hạn xử lý»: «31/02/2026» không phải ngày hợp lệ" in preview
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0  # nothing stored yet

    confirmed = client.post(f"/nhap-tep/{upload.token}/xac-nhan",
                            data={"csrf_token": csrf_token(client)})
    assert confirmed.status_code == 302
    finish_imports()
    page = client.get(f"/nhap-tep/{upload.token}").get_data(as_text=True)
    assert "Tháng 3.xlsx: tạo mới 4, cập nhật 0, không đổi 0, bị từ chối 1" in page
    assert session.scalar(select(func.count()).select_from(Dossier)) == 4
    assert not (folder / upload.token).exists()  # the file is gone once imported
    assert [e.action for e in session.scalars(select(AuditLog).order_by(AuditLog.id))] == [
        "import_upload", "import_confirm"]
    assert client.get(f"/nhap-tep/{upload.token}/tien-do").get_json()["state"] == "done"

    # The command line, on a fresh database, says the same about the same file.
    twin = tmp_path / "twin"
    twin.mkdir()
    cli_file = twin / "Tháng 3.xlsx"
    cli_file.write_bytes(export_bytes(twin))
    other = Runtime.from_settings(make_settings(f"sqlite:///{twin / 'cli.db'}"))
    printed = _import_by_cli(other, twin, cli_file)
    for line in printed:
        assert line.strip() in page.replace("&lt;", "<").replace("&gt;", ">"), line


def _import_by_cli(runtime: Runtime, folder: Path, path: Path) -> list[str]:
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions.begin() as session:
        upsert_catalogue(session, builtin_catalogue())
    done = CliRunner().invoke(cli, ["--config", str(shipped_config(runtime, folder)),
                                    "import", str(path)], catch_exceptions=False)
    runtime.engine.dispose()
    assert done.exit_code == 0, done.output
    return done.output.splitlines()


# -- refusals --------------------------------------------------------------------------------

def test_a_body_over_the_limit_is_refused_before_it_is_read(client: Any, session: Session,
                                                           folder: Path) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    response = send(client, b"x" * ((MAX_MB << 20) + 100_000), "lon.xlsx")
    assert response.status_code == 413
    assert "lớn hơn giới hạn 1 MB" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(SpreadsheetUpload)) == 0
    assert not folder.exists() or not any(folder.iterdir())


def test_an_anonymous_body_over_the_limit_gets_the_limit_not_a_crash(client: Any) -> None:
    response = send(client, b"x" * ((MAX_MB << 20) + 100_000), "lon.xlsx", token="x")
    assert response.status_code == 413
    assert "lớn hơn giới hạn 1 MB" in response.get_data(as_text=True)


def test_a_file_just_over_the_limit_inside_the_form_framing_is_refused_too(
        client: Any, session: Session, folder: Path) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    response = send(client, b"x" * ((MAX_MB << 20) + 1), "lon.csv")
    assert response.status_code == 400
    assert "Tệp «lon.csv» lớn hơn giới hạn 1 MB" in response.get_data(as_text=True)
    assert not any(folder.iterdir())


def test_a_file_that_is_not_an_export_is_refused_naming_what_is_expected(
        client: Any, session: Session, folder: Path) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    picture = send(client, b"\x89PNG\r\n", "ảnh chụp.png")
    assert picture.status_code == 400
    assert ("Tệp «ảnh chụp.png» không phải bảng tính Excel (.xlsx, .xlsm) hay tệp CSV (.csv)"
            in picture.get_data(as_text=True))
    disguised = send(client, b"PK not really a zip", "thang3.xlsx")
    assert disguised.status_code == 422
    assert "Tệp thang3.xlsx: không đọc được" in disguised.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(SpreadsheetUpload)) == 0
    assert not any(folder.iterdir())


def test_a_form_without_its_token_stores_and_starts_nothing(
        client: Any, session: Session, catalogued: Runtime, folder: Path,
        tmp_path: Path) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    assert send(client, export_bytes(tmp_path), "thang3.xlsx", token=None).status_code == 400
    assert session.scalar(select(func.count()).select_from(SpreadsheetUpload)) == 0
    send(client, export_bytes(tmp_path), "thang3.xlsx")
    upload = only_upload(session)
    refused = client.post(f"/nhap-tep/{upload.token}/xac-nhan", data={})
    assert refused.status_code == 400
    forged = client.post(f"/nhap-tep/{upload.token}/xac-nhan", data={"csrf_token": "giả"})
    assert forged.status_code == 400
    finish_imports()
    assert only_upload(session).state == uploads.READY
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def uploaded_by_lan(app: Any, session: Session, tmp_path: Path) -> SpreadsheetUpload:
    """The provincial export, uploaded by the clerk "lan" in a session of her own."""
    add_user(session, "lan", "clerk")
    owner = app.test_client()
    login(owner, "lan")
    send(owner, export_bytes(tmp_path), "thang3.xlsx")
    return only_upload(session)


def test_another_users_upload_cannot_be_seen_confirmed_or_cancelled(
        app: Any, session: Session, catalogued: Runtime, folder: Path, tmp_path: Path) -> None:
    upload = uploaded_by_lan(app, session, tmp_path)
    add_user(session, "hoa", "clerk")
    other = app.test_client()
    login(other, "hoa")
    token = csrf_token(other)
    assert other.get(f"/nhap-tep/{upload.token}").status_code == 404
    assert other.get(f"/nhap-tep/{upload.token}/tien-do").status_code == 404
    for action in ("xac-nhan", "huy", "trang"):
        answer = other.post(f"/nhap-tep/{upload.token}/{action}", data={"csrf_token": token})
        assert answer.status_code == 404, action
    assert upload.filename not in other.get("/nhap-tep").get_data(as_text=True)
    finish_imports()
    assert only_upload(session).state == uploads.READY
    assert (folder / upload.token).is_dir()


def test_the_owner_in_another_session_sees_the_upload_but_cannot_confirm_it(
        app: Any, session: Session, catalogued: Runtime, tmp_path: Path) -> None:
    upload = uploaded_by_lan(app, session, tmp_path)
    second = app.test_client()
    login(second, "lan")
    assert second.get(f"/nhap-tep/{upload.token}").status_code == 200
    answer = second.post(f"/nhap-tep/{upload.token}/xac-nhan",
                         data={"csrf_token": csrf_token(second)})
    assert answer.status_code == 404
    assert only_upload(session).state == uploads.READY


def test_a_viewer_may_not_upload(client: Any, session: Session, tmp_path: Path) -> None:
    add_user(session, "xem", "viewer")
    login(client, "xem")
    assert client.get("/nhap-tep").status_code == 403
    assert send(client, b"a;b\n", "a.csv").status_code == 403


def test_cancelling_removes_the_file_and_imports_nothing(
        client: Any, session: Session, catalogued: Runtime, folder: Path,
        tmp_path: Path) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    send(client, export_bytes(tmp_path), "thang3.xlsx")
    upload = only_upload(session)
    client.post(f"/nhap-tep/{upload.token}/huy", data={"csrf_token": csrf_token(client)})
    assert only_upload(session).state == uploads.CANCELLED
    assert not (folder / upload.token).exists()
    again = client.post(f"/nhap-tep/{upload.token}/xac-nhan",
                        data={"csrf_token": csrf_token(client)})
    assert again.status_code == 302
    assert only_upload(session).state == uploads.CANCELLED
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0
