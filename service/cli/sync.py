"""`tthc-monitor sync`: push changed dossiers to the national portal, or show what would go."""

from __future__ import annotations

import datetime as dt
import json

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs import reconcile as reconcile_job
from jobs import sync as sync_job
from service.cli.context import AppContext, pass_app
from service.models import Dossier
from service.portal import (
    PortalOptions,
    ReconcileReport,
    SyncReport,
    UnknownDossier,
    preview_sync,
    requeue,
)


@click.command()
@click.option("--dossier", "codes", multiple=True, metavar="CODE",
              help="Only this dossier (repeatable); sent now even if it is waiting to retry.")
@click.option("--dry-run", is_flag=True, help="Print the JSON payloads that would be sent.")
@click.option("--requeue", "requeue_", is_flag=True,
              help="First re-queue the given dossiers, or every failed one (đồng bộ lại).")
@click.option("--reconcile", is_flag=True,
              help="Instead of pushing, compare the portal's status (TraCuuHoSo) with ours.")
@pass_app
def sync(app: AppContext, codes: tuple[str, ...], dry_run: bool, requeue_: bool,
         reconcile: bool) -> None:
    """Mirror dossiers on the National Public Service Portal (mode from [portal] mode)."""
    runtime = app.runtime
    options = PortalOptions.from_settings(app.config)
    chosen = list(codes) or None
    now = runtime.now()
    with runtime.sessions() as session:
        _check_codes(session, chosen)
        if requeue_:
            queued = sum(_requeue(session, code, now) for code in chosen) if chosen else \
                requeue(session, None, "cli", now)
            click.echo(f"{queued} dossier(s) re-queued.", err=dry_run)
        if dry_run:
            # Everything above and the comparison below are rolled back: nothing is written.
            calls = preview_sync(session, now, options, chosen)
            session.rollback()
            click.echo(json.dumps(calls, ensure_ascii=False, indent=2))
            click.echo(f"{len(calls)} call(s) would be sent ({options.mode} mode).", err=True)
            return
        session.commit()
    if reconcile:
        _print_reconcile(reconcile_job.run(runtime, now))
        return
    _print_sync(sync_job.run(runtime, now, codes=chosen), options.mode)


def _check_codes(session: Session, codes: list[str] | None) -> None:
    for code in codes or []:
        if session.scalar(select(Dossier.id).where(Dossier.code == code)) is None:
            raise click.ClickException(f"no dossier with code {code}")


def _requeue(session: Session, code: str, now: dt.datetime) -> int:
    try:
        return requeue(session, code, "cli", now)
    except UnknownDossier as exc:
        raise click.ClickException(str(exc)) from None


def _print_sync(report: SyncReport | None, mode: str) -> None:
    if report is None:
        raise click.ClickException("the sync run failed; see the log")
    for result in report.results:
        if result.error:
            kind = "permanent" if result.permanent else "will retry"
            click.echo(f"{result.code}: failed ({kind}): {result.error}")
            continue
        sent = ("updated" if result.updating else "created") if result.sent_dossier else "kept"
        click.echo(f"{result.code}: {sent}, {result.lines} progress line(s)")
    click.echo(f"{mode} mode: {report.checked} compared, {report.pending} pending, "
               f"{report.acked} acknowledged, {report.failed} failed.")
    if report.stopped or report.error:
        click.echo(f"stopped: {report.error or report.stopped}", err=True)
        raise click.exceptions.Exit(1)


def _print_reconcile(report: ReconcileReport | None) -> None:
    if report is None:
        raise click.ClickException("the reconcile run failed; see the log")
    for result in report.results:
        if result.error:
            click.echo(f"{result.code}: lookup failed: {result.error}")
        elif result.mismatch:
            action = "re-queued" if result.requeued else "left (permanent failure)"
            click.echo(f"{result.code}: portal {result.portal}, ours {result.ours}: {action}")
    click.echo(f"{len(report.results)} looked up, {report.mismatched} mismatched.")
    if report.stopped or report.error:
        click.echo(f"stopped: {report.error or report.stopped}", err=True)
        raise click.exceptions.Exit(1)
