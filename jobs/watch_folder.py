"""Job: import the exports clerks drop into each spreadsheet connector's watched folder.

A file the reader cannot get through (a corrupt XLSX, a file that is no spreadsheet at all) is
moved to `failed/` beside a `.reason.txt` that says why, in Vietnamese for the clerk who
dropped it, and the rest of the folder is imported in the same run: one bad file must not stop
every file behind it, run after run.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path
from typing import cast

from sqlalchemy.exc import SQLAlchemyError

from connectors.base import Batch, RejectedRecord
from connectors.spreadsheet import SpreadsheetConnector
from service.ingest.runs import BatchResult, describe_run, run_connector
from service.models import ConnectorRun
from service.runtime import Runtime

log = logging.getLogger(__name__)
FAILED = "failed"
# Files set aside per folder and run at most; the next run takes the rest.
MAX_SET_ASIDE = 20


def watched_connectors(runtime: Runtime) -> list[str]:
    """Names of the spreadsheet connectors that have a drop folder."""
    return sorted(name for name, options in runtime.config.connectors.items()
                  if options.get("type") == "spreadsheet" and options.get("folder"))


def run(runtime: Runtime, now: dt.datetime) -> None:
    """Import every settled file of every watched folder; one failing folder skips only itself."""
    for name in watched_connectors(runtime):
        drain_folder(runtime, name, now)


def drain_folder(runtime: Runtime, name: str, now: dt.datetime,
                 strict: bool = False) -> list[ConnectorRun]:
    """Import the folder's settled files, setting aside each bad one with its reason and going
    on with the rest; the runs made (the `ingest` command prints them). `strict` raises what
    is not a file's fault (the database, the connector) instead of logging it."""
    runs: list[ConnectorRun] = []
    for _ in range(MAX_SET_ASIDE + 1):
        again = import_folder(runtime, name, now, runs, strict)
        if not again:
            break
    return runs


def import_folder(runtime: Runtime, name: str, now: dt.datetime,
                  runs: list[ConnectorRun] | None = None, strict: bool = False) -> bool:
    """Run the folder's connector once; True when a bad file was set aside (run it again).
    The run, when it was recorded, is appended to `runs`."""
    connector = cast(SpreadsheetConnector, runtime.connector(name))
    folder = Path(connector.options["folder"])
    reasons: dict[str, str] = {}
    before = failed_files(folder)

    def note_rejected_files(batch: Batch, result: BatchResult) -> None:
        for item in batch.records:
            if isinstance(item, RejectedRecord) and "_file" in item.payload:
                name = str(item.payload["_file"])
                # The spreadsheet reader's own reasons already name the file.
                reasons[name] = (item.reason if name in item.reason
                                 else f"Không nhập được tệp {name}: {item.reason}")

    try:
        result = run_connector(runtime.sessions, connector, runtime.derive, now,
                               on_batch=note_rejected_files)
    except SQLAlchemyError:
        # The database, not the file, is at fault: leave the folder as it is.
        if strict:
            raise
        log.exception("watch folder %s failed", name)
        return False
    except Exception as exc:  # noqa: BLE001 - the file being read is set aside, the rest go on
        culprit = next(iter(connector.waiting_files(now)), None)
        if culprit is None:
            if strict:
                raise
            log.exception("watch folder %s failed", name)
            return False
        set_aside(culprit, f"Không đọc được tệp {culprit.name}: {type(exc).__name__}: {exc}",
                  now)
        log.warning("watch folder %s: %s moved to %s/: %s", name, culprit.name, FAILED, exc)
        return True
    explain_new_failures(folder, before, reasons)
    if runs is not None:
        runs.append(result)
    if result.fetched:
        log.info("watch folder %s", describe_run(result))
    return False


def failed_files(folder: Path) -> set[Path]:
    """The files already in the folder's failed/ (reason files aside)."""
    target = folder / FAILED
    if not target.is_dir():
        return set()
    return {p for p in target.iterdir() if not p.name.endswith(".reason.txt")}


def set_aside(path: Path, reason: str, now: dt.datetime) -> Path:
    """Move a file to failed/ with a reason file beside it; return where it went."""
    target = path.parent / FAILED
    target.mkdir(exist_ok=True)
    moved = target / f"{now:%Y%m%dT%H%M%S}-{path.name}"
    shutil.move(path, moved)
    write_reason(moved, reason)
    return moved


def write_reason(moved: Path, reason: str) -> None:
    """Write `<file>.reason.txt` beside a file in failed/."""
    moved.with_name(f"{moved.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")


def explain_new_failures(folder: Path, before: set[Path], reasons: dict[str, str]) -> None:
    """Give each file the connector itself moved to failed/ in this run its reason file."""
    for moved in failed_files(folder) - before:
        original = moved.name.split("-", 1)[-1]
        reason = reasons.get(original, f"Không nhập được tệp {original}.")
        write_reason(moved, reason)
