"""Plain-data views of domain objects for the CLI, pages and API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from service.dossiers.classes import is_late, open_class
from service.models import Dossier
from service.privacy import mask_name


def local_iso(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    """An instant as ISO 8601 in local time, or None."""
    return None if value is None else value.astimezone(zone).isoformat()


def dossier_summary(row: Dossier, timezone: str, now: dt.datetime) -> dict[str, Any]:
    """The dossier as plain data at `now`, without the applicant's ID number, phone or e-mail.

    `deadline_class` and `is_late` are judged at `now` by the one classifier, as the list
    badge and the dashboard judge them; README "dossier show" lists every field.
    """
    zone = ZoneInfo(timezone)
    kind = open_class(row.status, row.due_at, row.near_at, now) if row.is_open else None
    return {
        "code": row.code,
        "unit": row.unit.code,
        "procedure": f"{row.procedure.code} {row.procedure.name}",
        "domain": row.procedure.domain_name,
        "applicant": mask_name(row.applicant_name),
        "channel": row.channel.label,
        "status": row.status.label,
        "status_code": row.status.value,
        "received_at": local_iso(row.received_at, zone),
        "source_due_at": local_iso(row.source_due_at, zone),
        "statutory_due_at": local_iso(row.statutory_due_at, zone),
        "due_at": local_iso(row.due_at, zone),
        "extension_due_at": local_iso(row.extension_due_at, zone),
        "extension_issued_at": local_iso(row.extension_issued_at, zone),
        "extension_late": bool(row.extension_late) if row.extension_due_at else None,
        "finished_at": local_iso(row.finished_at, zone),
        "returned_at": local_iso(row.returned_at, zone),
        "stopped_at": local_iso(row.stopped_at, zone),
        "judged_at": local_iso(now, zone),
        "deadline_class": kind.label if kind else None,
        "deadline_class_code": kind.value if kind else None,
        "is_late": is_late(row, now),
        "outcome": row.outcome.label if row.outcome else None,
        "portal_outcome": row.portal_outcome.label if row.portal_outcome else None,
        "history": [
            {"at": local_iso(e.at, zone), "status": e.status.label, "actor": e.actor,
             "department": e.department, "note": e.note}
            for e in row.events
        ],
    }
