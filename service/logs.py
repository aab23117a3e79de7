"""Operator logs: one line per event, stamped in the office's time zone with its offset.

journald, a log shipper or `grep` all assume an event is one line, so a traceback is folded into
its event (newlines written as the two characters backslash and n). `log_format = "json"` writes
one JSON object per line instead, for shippers that parse fields.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

HANDLER_NAME = "tthc-monitor"


class LineFormatter(logging.Formatter):
    """Format a record as one line of text or JSON, its time in `zone` with the offset."""

    def __init__(self, zone: str, as_json: bool = False) -> None:
        super().__init__()
        self.zone = ZoneInfo(zone)
        self.as_json = as_json

    def stamp(self, record: logging.LogRecord) -> str:
        """The record's instant as local ISO 8601 with offset, to the millisecond."""
        instant = dt.datetime.fromtimestamp(record.created, self.zone)
        return instant.isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        """One line for the whole event, traceback included."""
        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info)}"
        if record.stack_info:
            message = f"{message}\n{self.formatStack(record.stack_info)}"
        if self.as_json:
            return json.dumps({"time": self.stamp(record), "level": record.levelname,
                               "logger": record.name, "pid": record.process,
                               "message": message}, ensure_ascii=False)
        line = f"{self.stamp(record)} {record.levelname} {record.name}: {message}"
        return line.replace("\r", "").replace("\n", "\\n")


def setup_logging(settings: Mapping[str, Any]) -> None:
    """Send every logger's records to stderr as configured by log_level and log_format.

    Replaces the handler an earlier call added, so calling it again (a second command in one
    test process) does not print each line twice; handlers others added are left alone.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(LineFormatter(settings["timezone"], settings["log_format"] == "json"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == HANDLER_NAME:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings["log_level"])
    # Alembic tells at INFO which dialect it uses on every `db upgrade`: noise for operators.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # APScheduler writes two lines per job at start-up ("Adding job tentatively", "Added job");
    # jobs.scheduler logs one line naming them all, and APScheduler's warnings still show.
    logging.getLogger("apscheduler.scheduler").setLevel(max(logging.WARNING, root.level))
