"""What every entry point (web, scheduler, CLI) builds from the configuration, in one place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connectors.base import Connector
from connectors.registry import build_connector
from service.calendar import WorkCalendar
from service.complaints import ComplaintPolicy
from service.config.settings import Settings
from service.db import make_engine, make_sessionmaker
from service.dossiers.derive import DeadlinePolicy, make_deriver
from service.ingest import Deriver


@dataclass
class Runtime:
    """The engine, session factory and domain settings of one configuration.

    `config` is the typed configuration, built once; `settings` the validated dict it came
    from, for callers that hand a whole table on (service/config/settings.py says which).
    """

    settings: dict[str, Any]
    config: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    derive: Deriver
    policy: DeadlinePolicy
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: dict[str, Any], sqlite_mmap_mb: int = 0) -> Runtime:
        """Build the runtime; connects to nothing until first used.

        The web app passes its [web] sqlite_mmap_mb; other processes read without a memory map.
        """
        config = Settings.from_dict(settings)
        engine = make_engine(config.database_url, sqlite_mmap_mb)
        policy = DeadlinePolicy.from_settings(config)
        return cls(settings=settings, config=config, engine=engine,
                   sessions=make_sessionmaker(engine), derive=make_deriver(config, policy),
                   policy=policy)

    @property
    def calendar(self) -> WorkCalendar:
        """The working calendar of this configuration."""
        return self.policy.calendar

    @property
    def complaint_policy(self) -> ComplaintPolicy:
        """The [complaints] time limit on this configuration's calendar."""
        return ComplaintPolicy.from_settings(self.config.complaints, self.calendar)

    def connector(self, name: str) -> Connector:
        """Build the connector configured as [connectors.NAME]."""
        return build_connector(name, dict(self.config.connectors[name]), self.calendar)

    def now(self) -> dt.datetime:
        """The wall clock; the only place entry points read it before passing it down."""
        return dt.datetime.now(dt.UTC)
