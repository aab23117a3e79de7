"""`tthc-monitor scan`: one deadline scan by hand, printing what changed."""

from __future__ import annotations

import datetime as dt

import click

from service.cli.context import AppContext, pass_app

ARROW = "→"
SHOWN = 50


def _label(value: object, missing: str) -> str:
    return getattr(value, "label", None) or missing


def _instant(text: str | None, dry_run: bool, app: AppContext) -> dt.datetime:
    """--now as an aware instant (no offset: office time); the wall clock without it."""
    runtime = app.runtime
    if text is None:
        return runtime.now()
    if not dry_run:
        # A recorded scan at another instant would move the scan's own clock and the
        # transitions' instants away from the truth.
        raise click.UsageError("--now chỉ dùng cùng --dry-run (quét thử, không ghi gì).")
    try:
        instant = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.UsageError(
            f"--now: cần thời điểm ISO 8601 như 2026-03-14T08:00, nhận được {text!r}") from None
    zone = runtime.calendar.tz
    return instant.replace(tzinfo=zone) if instant.tzinfo is None else instant


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would change without recording it.")
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="With --dry-run: scan as if it were this instant (office time without an "
                   "offset), e.g. to see what turns overdue by tomorrow morning.")
@click.option("--all", "show_all", is_flag=True, help=f"List every transition, not {SHOWN}.")
@pass_app
def scan(app: AppContext, dry_run: bool, now_text: str | None, show_all: bool) -> None:
    """Reclassify dossiers against their due dates, record transitions and raise alerts."""
    from jobs.scan import scan_and_raise

    runtime = app.runtime
    now = _instant(now_text, dry_run, app)
    zone = runtime.calendar.tz
    with runtime.sessions() as session:
        outcome = scan_and_raise(session, runtime, now)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    result = outcome.scan
    since = (result.previous.astimezone(zone).strftime("%d/%m/%Y %H:%M")
             if result.previous else "never")
    click.echo(f"Scan at {now.astimezone(zone):%d/%m/%Y %H:%M} (last scan: {since})"
               f"{' - dry run, nothing recorded' if dry_run else ''}: "
               f"{result.examined} dossier(s) examined, "
               f"{len(result.transitions)} changed class.")
    for move in result.transitions[:None if show_all else SHOWN]:
        click.echo(f"  {move.code}  {_label(move.before, '(mới)')} {ARROW} "
                   f"{_label(move.after, '(đã kết thúc)')}"
                   f"  {move.at.astimezone(zone):%d/%m/%Y %H:%M}")
    if not show_all and len(result.transitions) > SHOWN:
        click.echo(f"  ... and {len(result.transitions) - SHOWN} more (--all lists them).")
    if outcome.complaints:
        click.echo(f"{len(outcome.complaints)} complaint(s) changed class:")
        for move in outcome.complaints:
            click.echo(f"  {move.code}  {_label(move.before, '(mới)')} {ARROW} "
                       f"{_label(move.after, '(đã trả lời)')}")
    if outcome.alerts is None:
        click.echo("Alerts are off ([alerts] enabled = false).")
        return
    report = outcome.alerts
    kinds = sorted(report.created.items(), key=lambda item: (item[0][0].value, item[0][1]))
    counts = ", ".join(f"{kind.label}{' (cấp 2)' if level == 2 else ''}: {count}"
                       for (kind, level), count in kinds)
    line = f"{report.total} alert(s) raised" + (f": {counts}" if counts else "")
    if report.unrouted:
        line += f"; {report.unrouted} event(s) without a configured recipient"
    click.echo(line + ".")
