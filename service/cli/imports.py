"""`tthc-monitor import FILE` and `tthc-monitor quarantine list|retry|fix|discard`."""

from __future__ import annotations

import getpass
import hashlib
import secrets
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from connectors.base import Batch, ConnectorError, RejectedRecord
from connectors.registry import build_connector
from connectors.spreadsheet import SpreadsheetConnector, count_rows
from service.cli.context import AppContext, pass_app
from service.ingest import quarantine as quarantined
from service.ingest.runs import BatchResult, run_connector
from service.runtime import Runtime


@click.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--connector", "name", default=None,
              help="A configured spreadsheet connector whose column mapping to use.")
@pass_app
def import_files(app: AppContext, files: tuple[Path, ...], name: str | None) -> None:
    """Import XLSX or CSV exports of the one-stop software; print what each row became."""
    failed = False
    for path in files:
        failed = not _import_one(app.runtime, path, name) or failed
    if failed:
        raise click.exceptions.Exit(1)


def _import_one(runtime: Runtime, path: Path, name: str | None) -> bool:
    """Import one file as one recorded run; print its summary; False when the run failed."""
    connector = spreadsheet_connector(runtime, name)
    connector.files = [path]
    problems: list[str] = []
    with tqdm(total=count_rows(path), unit="row", desc=path.name, leave=False,
              disable=None) as bar:
        def seen(batch: Batch, result: BatchResult) -> None:
            bar.update(len(batch.records))
            problems.extend(_problems(connector, batch, result))

        try:
            run = run_connector(runtime.sessions, connector, runtime.derive, runtime.now(),
                                on_batch=seen)
        except Exception as exc:  # noqa: BLE001 - reported, the next file still runs
            click.echo(f"{path.name}: failed: {exc}", err=True)
            return False
    click.echo(f"{path.name}: created {run.created}, updated {run.updated}, unchanged "
               f"{run.unchanged}, rejected {run.rejected}")
    for line in problems:
        click.echo(f"  {line}")
    return True


def spreadsheet_connector(runtime: Runtime, name: str | None) -> SpreadsheetConnector:
    """The named spreadsheet connector, else the first configured, else defaults for unit 1."""
    configured = runtime.settings["connectors"]
    if name is not None:
        if configured.get(name, {}).get("type") != "spreadsheet":
            raise click.ClickException(f"no spreadsheet connector {name!r} in the configuration")
        return runtime.connector(name)  # type: ignore[return-value]
    for key, options in sorted(configured.items()):
        if options.get("type") == "spreadsheet":
            return runtime.connector(key)  # type: ignore[return-value]
    units = runtime.settings["units"]
    if not units:
        raise click.ClickException("configure a [[units]] entry or a spreadsheet connector")
    return build_connector("spreadsheet", {"type": "spreadsheet", "unit_code": units[0]["code"],
                                           "unit_name": units[0]["name"]})  # type: ignore


def _problems(connector: SpreadsheetConnector, batch: Batch, result: BatchResult) -> list[str]:
    """Rejected rows as 'row N: reason', in file order."""
    lines = []
    for item, outcome in zip(batch.records, result.results, strict=True):
        if outcome.outcome != "rejected":
            continue
        if isinstance(item, RejectedRecord):
            lines.append(outcome.reason or "rejected")
        else:
            lines.append(f"row {connector.row_of.get(item.code, '?')}: {outcome.reason}")
    return lines


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
    """Show quarantined items: id, connector, last seen, dossier code and reason."""
    chosen = None if state == "all" else state
    with app.runtime.sessions() as session:
        rows = quarantined.list_quarantined(session, connector=connector, state=chosen,
                                            limit=limit)
        total = quarantined.count_quarantined(session, connector=connector, state=chosen)
    for row in rows:
        click.echo(f"{row.id:>6}  {row.connector:<14} {row.last_seen_at:%Y-%m-%d %H:%M}  "
                   f"{row.state:<9} {row.code or '-':<28} {row.reason}")
    click.echo(f"{total} item(s)" + (f", {len(rows)} shown" if total > len(rows) else ""))


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
            raise click.UsageError("give item ids or --all")
        try:
            results = quarantined.retry(session, chosen, runtime.derive, runtime.now(),
                                        _connector_for(runtime))
        except quarantined.QuarantineError as exc:
            raise click.ClickException(str(exc)) from None
    for result in results:
        text = "stored" if result.resolved else f"still refused: {result.reason}"
        click.echo(f"{result.id}: {result.code or '-'}: {text}")
    click.echo(f"{sum(r.resolved for r in results)} of {len(results)} resolved")


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
                    raise click.UsageError(f"--set {change!r}: expected FIELD=VALUE")
                payload[key.strip()] = value
            quarantined.fix(session, item_id, payload, f"cli:{getpass.getuser()}",
                            runtime.now())
            result = quarantined.retry(session, [item_id], runtime.derive, runtime.now(),
                                       _connector_for(runtime))[0]
        except quarantined.QuarantineError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{item_id}: " + ("stored" if result.resolved
                                 else f"still refused: {result.reason}"))


@quarantine_group.command("discard")
@click.argument("item_id", type=int)
@pass_app
def discard_item(app: AppContext, item_id: int) -> None:
    """Drop an item that should not be imported."""
    runtime = app.runtime
    with runtime.sessions.begin() as session:
        try:
            quarantined.discard(session, item_id, f"cli:{getpass.getuser()}", runtime.now())
        except quarantined.QuarantineError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{item_id}: discarded")


def _connector_for(runtime: Runtime) -> Any:
    def build(name: str) -> Any:
        try:
            if name in runtime.settings["connectors"]:
                return runtime.connector(name)
            return spreadsheet_connector(runtime, None) if name == "spreadsheet" else None
        except (ConnectorError, click.ClickException):
            return None

    return build


@click.command("webhook-token")
def webhook_token() -> None:
    """Print a new token for a webhook sender and the digest to put in its connector."""
    token = secrets.token_urlsafe(32)
    click.echo(f"token (give it to the sending system, it is not stored): {token}")
    click.echo(f'token_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"')
