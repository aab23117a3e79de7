"""Which due date: one named function for each question a consumer asks of a stored dossier.

The columns hold the engine's results (`service.deadlines.evaluate`): `statutory_due_at` is the
legal due date (restarted after a completed supplement, Decree 118/2025), `source_due_at` the
appointment the one-stop system printed on the receipt, `extension_due_at` the apology's new
date, `due_at` the date the dossier is watched against and `portal_due_at` the portal's.
Consumers never pick among them ad hoc; they call these.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, case, func

from service.models import Dossier


def original_due(row: Any, report_due: str) -> dt.datetime | None:
    """The due date before any apology: the receipt's appointment or the legal one.

    One-stop systems overwrite their appointment with the apology's new date, so a source
    appointment not earlier than that new date is no longer the original one.
    """
    source = row.source_due_at if report_due == "source" else None
    if source is not None and (row.extension_due_at is None or source < row.extension_due_at):
        return source
    return row.statutory_due_at or row.due_at


def citizen_due(row: Any) -> dt.datetime | None:
    """The date the citizen holds now: the apology's new date once given, even a late one."""
    return row.extension_due_at or row.due_at


def watched_due(row: Any) -> dt.datetime | None:
    """The date alerts and deadline classes watch: a late apology never moves it."""
    return row.due_at


def portal_due(row: Any) -> dt.datetime | None:
    """The portal's NgayHenTra: the apology's new date, else the receipt's appointment.

    The portal shows the citizen what their receipt says, so the source appointment goes
    first whatever the commune reports by.
    """
    return row.extension_due_at or row.source_due_at or row.due_at


def reported_due_sql(extension_counts_late: bool, report_due: str) -> ColumnElement[Any]:
    """SQL for the date reports judge a dossier by: with an apology that still counts as late,
    the original date (as `original_due`); otherwise the citizen's.

    `due_at` is the watched date, already the original one after a late apology.
    """
    if not extension_counts_late:
        return Dossier.due_at
    original = Dossier.statutory_due_at
    if report_due == "source":
        original = case((Dossier.source_due_at < Dossier.extension_due_at,
                         Dossier.source_due_at), else_=Dossier.statutory_due_at)
    return case((Dossier.extension_due_at.is_not(None), func.coalesce(original, Dossier.due_at)),
                else_=Dossier.due_at)
