"""Choosing the spreadsheet connector an upload is read with: only those of the clerk's units."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import SpreadsheetUpload
from service.runtime import Runtime
from tests.conftest import UNIT_CODE, make_settings
from tests.imports.support import export_bytes, send
from tests.pages_support import FAST_HASHES, add_user, login

OTHER_UNIT = "000.32.26.H99"


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    """Two spreadsheet connectors for the clerk's unit and one for another unit."""
    return make_settings(
        f"sqlite:///{tmp_path / 'app.db'}",
        web={**FAST_HASHES, "upload_folder": str(tmp_path / "uploads")},
        connectors={
            "motcua": {"type": "spreadsheet", "unit_code": UNIT_CODE,
                       "unit_name": "UBND xã Thanh Miện"},
            "hotich": {"type": "spreadsheet", "unit_code": UNIT_CODE,
                       "unit_name": "Tư pháp - Hộ tịch", "columns": {"code": ["Số biên nhận"]}},
            "xakhac": {"type": "spreadsheet", "unit_code": OTHER_UNIT, "unit_name": "Xã khác"}})


def test_a_clerk_chooses_among_her_units_connectors_only(
        client: Any, session: Session, catalogued: Runtime, tmp_path: Path) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    form = client.get("/nhap-tep").get_data(as_text=True)
    assert '<option value="hotich">Tư pháp - Hộ tịch (hotich)</option>' in form
    assert '<option value="motcua">' in form and "xakhac" not in form
    unchosen = send(client, export_bytes(tmp_path), "thang3.xlsx")
    assert unchosen.status_code == 400
    assert "Hãy chọn nguồn dữ liệu" in unchosen.get_data(as_text=True)
    other = send(client, export_bytes(tmp_path), "thang3.xlsx", connector="xakhac")
    assert other.status_code == 400
    assert session.scalar(select(SpreadsheetUpload)) is None
    chosen = send(client, export_bytes(tmp_path), "thang3.xlsx", connector="hotich")
    assert chosen.status_code == 302
    assert session.scalar(select(SpreadsheetUpload.connector)) == "hotich"
    assert "Tư pháp - Hộ tịch (hotich)" in client.get(chosen.location).get_data(as_text=True)
