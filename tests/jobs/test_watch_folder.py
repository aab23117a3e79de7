"""The watched folder: a file that cannot be read is set aside with its reason, the rest go on."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import func, select

from jobs import watch_folder
from migrations import upgrade
from service.cli.db import seed_reference_data
from service.models import ConnectorRun, Dossier
from service.runtime import Runtime
from tests.conftest import make_settings

EXPORT = Path(__file__).parents[1] / "fixtures" / "spreadsheet" / "export_mixed.csv"


def drop(folder: Path, name: str, content: bytes, age_minutes: int) -> None:
    path = folder / name
    path.write_bytes(content)
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=age_minutes)).timestamp()
    os.utime(path, (stamp, stamp))


def test_unreadable_files_go_to_failed_with_a_reason_and_the_next_file_is_imported(
        tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    # Oldest first: a corrupt XLSX, a CSV without the dossier-code column, then a good export.
    drop(folder, "garbage.xlsx", bytes(range(256)) * 8, age_minutes=30)
    drop(folder, "khong-tieu-de.csv", b"a;b\n1;2\n", age_minutes=20)
    drop(folder, "thang-3.csv", EXPORT.read_bytes(), age_minutes=10)
    settings = make_settings(f"sqlite:///{tmp_path / 'w.db'}", connectors={"drop": {
        "type": "spreadsheet", "unit_code": "000.32.26.H26", "folder": str(folder),
        "settle_seconds": 0}})
    runtime = Runtime.from_settings(settings)
    upgrade(runtime.engine)
    seed_reference_data(runtime)  # the procedure catalogue, as `db upgrade` adds it
    watch_folder.run(runtime, dt.datetime.now(dt.UTC))

    assert [p.name for p in folder.iterdir() if p.is_file()] == []
    failed = {p.name.split("-", 1)[1]: p for p in (folder / "failed").iterdir()}
    assert set(failed) == {"garbage.xlsx", "garbage.xlsx.reason.txt", "khong-tieu-de.csv",
                           "khong-tieu-de.csv.reason.txt"}
    garbage = failed["garbage.xlsx.reason.txt"].read_text(encoding="utf-8")
    assert garbage.startswith("Tệp garbage.xlsx: không đọc được") and "BadZipFile" in garbage
    headerless = failed["khong-tieu-de.csv.reason.txt"].read_text(encoding="utf-8")
    assert headerless.startswith("Tệp khong-tieu-de.csv: không tìm thấy dòng tiêu đề")
    assert [p.name.split("-", 1)[1] for p in (folder / "imported").iterdir()] == ["thang-3.csv"]
    with runtime.sessions() as session:
        # The export's 3 good rows (its 5 bad ones are quarantined, as on `import`).
        assert session.scalar(select(func.count()).select_from(Dossier)) == 3
        assert session.scalar(select(func.count()).select_from(ConnectorRun)
                              .where(ConnectorRun.error.is_(None))) >= 1
    runtime.engine.dispose()
