"""`tthc-monitor report form06|assessment`: the periodic reports from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from service.cli.context import AppContext, pass_app
from service.reports.asof import AsOfError, judged_at, parse_as_of
from service.reports.assessment import assessment
from service.reports.cells import workbook_bytes
from service.reports.form06 import COLUMNS, Form06, form06
from service.reports.periods import PERIOD_FORMS, Period, PeriodError, parse_period
from service.reports.scope import ReportError
from service.reports.xlsx import form06_workbook


class ReportInputError(click.ClickException):
    """A bad unit or period: one line on stderr, exit status 2."""

    exit_code = 2


def _period(app: AppContext, text: str, windows: str | None) -> Period:
    try:
        return parse_period(text, windows or app.config.reports.windows)  # type: ignore[arg-type]
    except PeriodError as exc:
        raise ReportInputError(str(exc)) from None


@click.group("report")
def group() -> None:
    """Make the periodic reports."""


unit_option = click.option("--unit", "unit_code", required=True, metavar="CODE",
                           help="Unit identifier, e.g. 000.32.26.H26 (units below it included).")
period_option = click.option("--period", "period_text", required=True, metavar="PERIOD",
                             help=f"One of {PERIOD_FORMS}.")
windows_option = click.option("--windows", type=click.Choice(["decree09", "calendar"]),
                              default=None, help="Override [reports] windows for this run.")
as_of_option = click.option(
    "--as-of", "as_of_text", default=None, metavar="ISO",
    help="Say what the report said at this instant (e.g. 2026-03-14T17:00, office time) "
         "instead of now (period in progress) or the period's end (past period).")


def _as_of(app: AppContext, text: str | None, period: Period) -> dt.datetime | None:
    """The --as-of instant, checked against the period and now; exit 2 with why if not."""
    if text is None:
        return None
    zone = app.config.timezone
    try:
        as_of = parse_as_of(text, zone)
        judged_at(period, zone, app.runtime.now(), as_of)
    except AsOfError as exc:
        raise ReportInputError(exc.vietnamese) from None
    return as_of


@group.command("form06")
@unit_option
@period_option
@windows_option
@as_of_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the form as XLSX laid out like Biểu 06/VPCP/KSTT.")
@pass_app
def form06_command(app: AppContext, unit_code: str, period_text: str, windows: str | None,
                   as_of_text: str | None, out: Path | None) -> None:
    """Count Biểu 06/VPCP/KSTT and print it; with --out also write the XLSX."""
    rt = app.runtime
    period = _period(app, period_text, windows)
    as_of = _as_of(app, as_of_text, period)
    try:
        with rt.sessions() as session:
            report = form06(session, unit_code, period, rt.config.timezone, rt.now(),
                            as_of=as_of, extension_counts_late=rt.policy.extension_counts_late,
                            report_due=rt.policy.report_due)
    except ReportError as exc:
        raise ReportInputError(str(exc)) from None
    click.echo(_table(report))
    if out is not None:
        book = form06_workbook(report, rt.config.reports.recipient)
        out.write_bytes(workbook_bytes(book))
        click.echo(f"Written {out}", err=True)


def _table(report: Form06) -> str:
    """The form as tab-separated text: a header line, one line per lĩnh vực, the total."""
    head = f"# Biểu 06/VPCP/KSTT {report.unit_code} {report.period.label} ({report.period.dates})"
    lines = [head, f"# {report.as_of_text}",
             "\t".join(["STT", "Lĩnh vực", *(f"({c})" for c in COLUMNS)])]
    for row in [*report.rows, report.total]:
        lines.append("\t".join([str(row.number or ""), row.domain,
                                *(str(row.cells[c]) for c in COLUMNS)]))
    return "\n".join(lines)


@group.command("assessment")
@unit_option
@period_option
@windows_option
@as_of_option
@pass_app
def assessment_command(app: AppContext, unit_code: str, period_text: str,
                       windows: str | None, as_of_text: str | None) -> None:
    """Print the Decision 766 self-assessment: each indicator, its ratio, points and formula."""
    rt = app.runtime
    period = _period(app, period_text, windows)
    as_of = _as_of(app, as_of_text, period)
    try:
        with rt.sessions() as session:
            result = assessment(session, unit_code, period, rt.config.timezone, rt.now(),
                                as_of=as_of)
    except ReportError as exc:
        raise ReportInputError(str(exc)) from None
    click.echo(f"# {result.as_of_text}")
    for item in result.indicators:
        points = "-" if item.points is None else f"{item.points:.2f}"
        click.echo(f"{item.group}\t{item.name}\t{item.numerator}/{item.denominator}\t"
                   f"{item.percent}\t{points}/{item.max_points:g}\t{item.computation}")
    click.echo(f"Total\t{result.points:.2f}/{result.max_points:g}")
