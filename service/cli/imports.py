"""`tthc-monitor import FILE` and `tthc-monitor quarantine list|retry|fix|discard`."""

from __future__ import annotations

import getpass
import hashlib
import secrets
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from connectors.base import Batch
from connectors.spreadsheet import SpreadsheetConnector
from service.cli.context import AppContext, pass_app
from service.dossiers.filters import EVERYTHING
from service.ingest import quarantine as quarantined
from service.ingest.imports import (
    ImportRefused,
    ImportTally,
    connector_for,
    failure_text,
    spreadsheet_connector,
)
from service.ingest.runs import BatchResult, run_connector
from service.runtime import Runtime
from service.users.scope import StoreGuard, audit_quarantine


class ClerkError(click.ClickException):
    """A refusal addressed to a clerk, printed as one Vietnamese line."""

    def show(self, file: Any = None) -> None:
        """Print "Lỗi: <message>" on standard error."""
        click.echo(f"Lỗi: {self.format_message()}", err=True, file=file)


@click.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--connector", "name", default=None,
              help="A configured spreadsheet connector whose column mapping to use.")
@click.option("--sheet", default=None,
              help="The sheet to read (default: the first with a header naming the dossier "
                   "code).")
@pass_app
def import_files(app: AppContext, files: tuple[Path, ...], name: str | None,
                 sheet: str | None) -> None:
    """Import XLSX or CSV exports of the one-stop software; print what each row became.

    A file that cannot be read is reported in one line and the next file still runs; the
    command then exits 1.
    """
    failed = False
    for path in files:
        failed = not _import_one(app.runtime, path, name, sheet) or failed
    if failed:
        raise click.exceptions.Exit(1)


def _import_one(runtime: Runtime, path: Path, name: str | None, sheet: str | None) -> bool:
    """Import one file as one recorded run; print its summary; False when the run failed."""
    if not path.is_file():
        click.echo(f"Tệp {path.name}: không tìm thấy tệp {path}", err=True)
        return False
    connector = _connector(runtime, name, sheet)
    connector.files = [path]
    tally = ImportTally(connector, path)
    with tqdm(unit="dòng", desc=path.name, leave=False, disable=None) as bar:
        def seen(batch: Batch, result: BatchResult) -> None:
            if bar.total is None and connector.total_rows:
                bar.total = connector.total_rows
            bar.update(len(batch.records))
            tally.add(batch, result)

        try:
            run_connector(runtime.sessions, connector, runtime.derive, runtime.now(),
                          on_batch=seen)
        except Exception as exc:  # noqa: BLE001 - reported, the next file still runs
            click.echo(failure_text(path, exc), err=True)
            return False
    for line in tally.summary().lines():
        click.echo(line)
    return True


def _connector(runtime: Runtime, name: str | None, sheet: str | None) -> SpreadsheetConnector:
    try:
        return spreadsheet_connector(runtime.config, name, sheet)
    except ImportRefused as exc:
        raise ClerkError(str(exc)) from None


@click.group("quarantine")
def quarantine_group() -> None:
    """List, fix, re-run or discard records that ingestion set aside."""


@quarantine_group.command("list")
@click.option("--connector", default=None, help="Only this connector's items.")
@click.option("--state", type=click.Choice(["open", "resolved", "discarded", "all"]),
              default="open", show_default=True)
@click.option("--limit", default=50, show_default=True)
@pass_app
def list_items(app: AppContext, connector: str | None, state: str, limit: int) -> None:
    """Show quarantined items: id, connector, last seen, dossier code (or, for a row refused
    while reading a file, the row it came from) and reason."""
    chosen = None if state == "all" else state
    with app.runtime.sessions() as session:
        rows = quarantined.list_quarantined(session, connector=connector, state=chosen,
                                            limit=limit)
        total = quarantined.count_quarantined(session, connector=connector, state=chosen)
    local = app.runtime.calendar.local  # stored in UTC, read by the clerk in office time
    for row in rows:
        state = quarantined.STATE_LABELS.get(row.state, row.state)
        click.echo(f"{row.id:>6}  {row.connector:<14} {local(row.last_seen_at):%d/%m/%Y %H:%M}  "
                   f"{state:<12} {row.code or row.source_id or '-':<28} {row.reason}")
    click.echo(f"{total} mục" + (f", hiển thị {len(rows)}" if total > len(rows) else ""))


@quarantine_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every open item (of --connector).")
@click.option("--connector", default=None)
@pass_app
def retry_items(app: AppContext, ids: tuple[int, ...], every: bool,
                connector: str | None) -> None:
    """Re-run items through the ingest path (after fixing data or configuration)."""
    runtime = app.runtime
    with runtime.sessions.begin() as session:
        chosen = list(ids) or ([row.id for row in quarantined.list_quarantined(
            session, connector=connector, limit=100_000)] if every else [])
        if not chosen:
            raise click.UsageError("hãy cho số của các mục, hoặc --all")
        try:
            results = []
            for item_id in chosen:
                guard = StoreGuard(session, EVERYTHING)
                result = quarantined.retry(session, [item_id], runtime.derive, runtime.now(),
                                           connector_for(runtime.config), guard)[0]
                audit_quarantine(session, None, "quarantine_retry", item_id, runtime.now(),
                                 guard if result.resolved else None, actor=_actor())
                results.append(result)
        except quarantined.QuarantineError as exc:
            raise ClerkError(str(exc)) from None
    for result in results:
        click.echo(f"{result.id}: {result.code or '-'}: {_outcome(result)}")
    click.echo(f"Đã nhập được {sum(r.resolved for r in results)}/{len(results)} mục")


@quarantine_group.command("fix")
@click.argument("item_id", type=int)
@click.option("--set", "changes", multiple=True, metavar="FIELD=VALUE", required=True,
              help="Replace one payload field, e.g. --set 'Ngày tiếp nhận=03/03/2025 08:15'.")
@pass_app
def fix_item(app: AppContext, item_id: int, changes: tuple[str, ...]) -> None:
    """Correct fields of an item's payload, then re-run it."""
    runtime = app.runtime
    with runtime.sessions.begin() as session:
        try:
            row = quarantined.open_item(session, item_id)
            payload = dict(row.payload)
            for change in changes:
                key, sep, value = change.partition("=")
                if not sep:
                    raise click.UsageError(f"--set {change!r}: cần dạng CỘT=GIÁ TRỊ")
                payload[key.strip()] = value
            quarantined.fix(session, item_id, payload, _actor(), runtime.now())
            guard = StoreGuard(session, EVERYTHING)
            result = quarantined.retry(session, [item_id], runtime.derive, runtime.now(),
                                       connector_for(runtime.config), guard)[0]
            audit_quarantine(session, None, "quarantine_fix", item_id, runtime.now(),
                             guard if result.resolved else None, actor=_actor())
        except quarantined.QuarantineError as exc:
            raise ClerkError(str(exc)) from None
    click.echo(f"{item_id}: {_outcome(result)}")


@quarantine_group.command("discard")
@click.argument("item_id", type=int)
@click.option("--reason", required=True,
              help="Why the item is dropped (kept with it and in the audit log).")
@pass_app
def discard_item(app: AppContext, item_id: int, reason: str) -> None:
    """Drop an item that should not be imported, saying why."""
    runtime = app.runtime
    with runtime.sessions.begin() as session:
        try:
            quarantined.discard(session, item_id, _actor(), runtime.now(), reason)
            audit_quarantine(session, None, "quarantine_discard", item_id, runtime.now(),
                             detail=reason, actor=_actor())
        except quarantined.QuarantineError as exc:
            raise ClerkError(str(exc)) from None
    click.echo(f"{item_id}: đã bỏ qua")


def _actor() -> str:
    """Who acted, for the quarantine item and the audit log: the system account running the
    command (the command line has no signed-in user)."""
    return f"cli:{getpass.getuser()}"


def _outcome(result: quarantined.RetryResult) -> str:
    return "đã lưu" if result.resolved else f"vẫn bị từ chối: {result.reason}"


@click.command("webhook-token")
def webhook_token() -> None:
    """Print a new token for a webhook sender and the digest to put in its connector."""
    token = secrets.token_urlsafe(32)
    click.echo(f"token (give it to the sending system, it is not stored): {token}")
    click.echo(f'token_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"')
