"""Plain-data views of domain objects for the CLI, pages and API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from service.models import Dossier


def local_iso(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    """An instant as ISO 8601 in local time, or None."""
    return None if value is None else value.astimezone(zone).isoformat()


def mask_name(name: str) -> str:
    """Mask a person's name as citizens and alerts see it: 'Nguyễn Văn Bình' -> 'Nguyễn V. B.'."""
    parts = name.split()
    if len(parts) <= 1:
        return f"{name[:1]}." if name else ""
    return " ".join([parts[0], *(f"{p[0]}." for p in parts[1:])])


def dossier_summary(row: Dossier, timezone: str) -> dict[str, Any]:
    """The dossier as plain data, without the applicant's ID number, phone or e-mail."""
    zone = ZoneInfo(timezone)
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
        "finished_at": local_iso(row.finished_at, zone),
        "returned_at": local_iso(row.returned_at, zone),
        "deadline_class": row.deadline_class.label if row.deadline_class else None,
        "outcome": row.outcome.label if row.outcome else None,
        "portal_outcome": row.portal_outcome.label if row.portal_outcome else None,
        "history": [
            {"at": local_iso(e.at, zone), "status": e.status.label, "actor": e.actor,
             "department": e.department, "note": e.note}
            for e in row.events
        ],
    }
