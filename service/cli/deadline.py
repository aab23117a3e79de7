"""`tthc-monitor deadline`: print the statutory due instant of a time limit."""

from __future__ import annotations

import datetime as dt

import click

from service.calendar import CalendarSettings, WorkCalendar
from service.cli.context import load_settings
from service.config import ConfigError
from service.config.settings import Settings
from service.deadlines import due_at, explain_due
from service.vocabulary import LimitUnit


class InputError(click.ClickException):
    """Bad input: reported on one line of stderr with exit status 2."""

    exit_code = 2


class OneLineCommand(click.Command):
    """A command whose usage errors are one line, without the usage banner."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as usual, turning click's usage errors into InputError."""
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise InputError(_one_line(exc.format_message())) from None


def _one_line(text: str) -> str:
    """Collapse a message onto one line."""
    return " ".join(str(text).split())


def build_calendar(config_file: str | None) -> WorkCalendar:
    """Load the configuration (default file when None) and build its working calendar."""
    try:
        config = Settings.from_dict(load_settings(config_file))
        settings = CalendarSettings.from_config(config.calendar, config.timezone)
    except (ConfigError, ValueError) as exc:
        raise InputError(f"configuration: {_one_line(str(exc))}") from None
    return WorkCalendar(settings)


def parse_received(text: str, cal: WorkCalendar) -> dt.datetime:
    """Parse an ISO 8601 instant; one without an offset is local office time."""
    try:
        instant = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--received: expected an ISO 8601 instant such as 2026-02-13T09:00, got {text!r}"
        ) from None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=cal.tz)
    return instant.astimezone(cal.tz)


@click.command("deadline", cls=OneLineCommand)
@click.option("--received", required=True, help="Receipt instant, ISO 8601 (local if no offset).")
@click.option("--limit", type=int, default=None, help="Length of the limit (0 for same_day).")
@click.option(
    "--unit",
    type=click.Choice([unit.value for unit in LimitUnit if unit is not LimitUnit.NONE]),
    default=LimitUnit.WORKING_DAYS.value,
    show_default=True,
    help="Unit of the limit.",
)
@click.option("--config", "config_file", default=None, help="config.toml to use.")
@click.option("--explain", is_flag=True, help="Explain the computation in Vietnamese.")
@click.pass_context
def command(
    ctx: click.Context,
    received: str,
    limit: int | None,
    unit: str,
    config_file: str | None,
    explain: bool,
) -> None:
    """Print the due instant (ISO 8601 with offset) of a dossier received at --received."""
    chosen = LimitUnit(unit)
    if limit is None:
        if chosen is not LimitUnit.SAME_DAY:
            raise InputError(f"--limit is required for unit {unit}")
        limit = 0
    # Without its own --config, honour `tthc-monitor --config FILE deadline ...` of the group.
    cal = build_calendar(config_file or getattr(ctx.obj, "path", None))
    start = parse_received(received, cal)
    try:
        due = due_at(cal, start, limit, chosen)
    except ValueError as exc:
        raise InputError(f"--limit: {_one_line(str(exc))}") from None
    click.echo(due.isoformat())
    if explain:
        for line in explain_due(cal, start, limit, chosen):
            click.echo(line)
