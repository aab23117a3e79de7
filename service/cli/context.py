"""The command group and the configuration context every sub-command receives."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click

from connectors.registry import connector_types
from jobs.schedule import JOB_NAMES
from service.config import Catalogue, load_config
from service.config.settings import Settings
from service.logs import setup_logging
from service.runtime import Runtime


def load_settings(path: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Load the configuration, validating job and connector tables against what exists."""
    catalogue = Catalogue(job_names=JOB_NAMES, connector_types=connector_types())
    return load_config(path, environ, overrides, catalogue=catalogue)


class AppContext:
    """Loads the configuration once, on first use, so `--help` needs no valid config."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._runtime: Runtime | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """The validated dict, for commands that hand it to create_app."""
        return self.runtime.settings

    @property
    def config(self) -> Settings:
        """The typed configuration."""
        return self.runtime.config

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            settings = load_settings(self.path)
            setup_logging(settings)
            self._runtime = Runtime.from_settings(settings)
        return self._runtime


pass_app = click.make_pass_decorator(AppContext)


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: $TTHC_CONFIG, then ./config.toml).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Monitor administrative-procedure dossiers of a commune."""
    ctx.obj = AppContext(config_path)
