"""The `tthc-monitor` command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from service.config import ConfigError, load_config
from service.runtime import Runtime


class AppContext:
    """Loads the configuration once, on first use, so `--help` needs no valid config."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._runtime: Runtime | None = None

    @property
    def settings(self) -> dict[str, Any]:
        return self.runtime.settings

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime.from_settings(load_config(self.path))
        return self._runtime


pass_app = click.make_pass_decorator(AppContext)


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: $TTHC_CONFIG, then ./config.toml).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Monitor administrative-procedure dossiers of a commune."""
    ctx.obj = AppContext(config_path)


def main() -> None:
    """Entry point: run the CLI, turning configuration errors into one line and exit code 2."""
    from service.cli import commands  # noqa: F401 - registers the commands on `cli`

    try:
        cli.main(standalone_mode=False)
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
