"""`tthc-monitor scan`: one deadline scan by hand, printing what changed."""

from __future__ import annotations

import click

from service.cli.context import AppContext, pass_app

ARROW = "→"
SHOWN = 50


def _label(value: object, missing: str) -> str:
    return getattr(value, "label", None) or missing


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would change without recording it.")
@click.option("--all", "show_all", is_flag=True, help=f"List every transition, not {SHOWN}.")
@pass_app
def scan(app: AppContext, dry_run: bool, show_all: bool) -> None:
    """Reclassify dossiers against their due dates, record transitions and raise alerts."""
    from jobs.scan import scan_and_raise

    runtime = app.runtime
    now = runtime.now()
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
