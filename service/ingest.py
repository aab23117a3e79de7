"""Store canonical records: idempotent, out-of-order safe, one transaction per batch."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from connectors.base import DossierRecord, RejectedRecord, SupplementRecord
from service.models import Dossier, Procedure, StatusEvent, SupplementRound, Unit
from service.status import FINAL_STATUSES

log = logging.getLogger(__name__)
NATIONAL_CODE = re.compile(r"^\d\.\d{6}")
LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Record fields copied as they are onto the dossier row.
DIRECT_FIELDS = (
    "code", "summary", "applicant_name", "applicant_id_no", "applicant_phone", "applicant_email",
    "applicant_type", "channel", "handler", "received_by", "filed_at", "received_at",
    "source_due_at", "status", "source_status", "source_sub_status", "finished_at",
    "returned_at", "stopped_at", "fee_due", "paid_online", "digitized", "electronic_result",
    "source_id", "source_modified_at",
)
# Computes the deadline columns of a dossier row from its values, procedure and supplements.
Deriver = Callable[[dict[str, Any], Procedure, Sequence[SupplementRecord], dt.datetime], None]


class RecordError(ValueError):
    """A record that cannot be stored; the reason is shown to clerks in quarantine."""


@dataclass
class IngestStats:
    """Counts of one batch or one run."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: IngestStats) -> None:
        """Accumulate another batch's counts."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


def national_code(code: str) -> str:
    """Strip a province suffix: 1.001193.000.00.00.H26 -> 1.001193."""
    match = NATIONAL_CODE.match(code.strip())
    return match.group(0) if match else code.strip()


def fingerprint(record: DossierRecord) -> str:
    """Return a stable digest of everything a record says."""
    return hashlib.blake2b(repr(record).encode(), digest_size=16).hexdigest()


def new_lookup_secret() -> str:
    """Draw the secret printed on the receipt for the citizen lookup."""
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(8))


class Ingestor:
    """Upserts batches of records for one source within the caller's transaction."""

    def __init__(self, session: Session, source: str, derive: Deriver) -> None:
        self.session = session
        self.source = source
        self.derive = derive
        self.units: dict[str, int] = {
            code: id_ for code, id_ in session.execute(select(Unit.code, Unit.id))}
        self.procedures: dict[str, Procedure] = {
            p.code: p for p in session.scalars(select(Procedure))}

    def store(self, records: Sequence[DossierRecord], now: dt.datetime,
              on_reject: Callable[[RejectedRecord], None] | None = None) -> IngestStats:
        """Store a batch: insert new dossiers, update changed ones, merge history; flush only."""
        stats = IngestStats(fetched=len(records))
        latest: dict[str, DossierRecord] = {}
        for record in records:
            kept = latest.get(record.code)
            if kept is None or _newer(record, kept):
                latest[record.code] = record
        existing = self._existing(list(latest))
        inserts, updates, merges = [], [], []
        for record in latest.values():
            try:
                procedure = self._procedure(record)
                unit_id = self._unit(record)
            except RecordError as exc:
                stats.rejected += 1
                if on_reject:
                    on_reject(RejectedRecord(payload=_payload(record), reason=str(exc),
                                             source_id=record.source_id))
                continue
            row = existing.get(record.code)
            print_ = fingerprint(record)
            if row is not None and (row.fingerprint == print_ or _stale(record, row)):
                stats.unchanged += 1
                merges.append((row.id, record))
                continue
            values = self._values(record, unit_id, procedure, print_, now, row)
            if row is None:
                values["lookup_secret"] = new_lookup_secret()
                inserts.append(values)
            else:
                values["id"] = row.id
                updates.append(values)
                merges.append((row.id, record))
        stats.created, stats.updated = len(inserts), len(updates)
        ids = self._write(inserts, updates)
        merges.extend((ids[values["code"]], latest[values["code"]]) for values in inserts)
        self._merge_history(merges)
        self.session.flush()
        return stats

    def _existing(self, codes: list[str]) -> dict[str, Any]:
        if not codes:
            return {}
        rows = self.session.execute(
            select(Dossier.id, Dossier.code, Dossier.fingerprint, Dossier.source_modified_at,
                   Dossier.extension_due_at).where(Dossier.code.in_(codes)))
        return {row.code: row for row in rows}

    def _procedure(self, record: DossierRecord) -> Procedure:
        code = national_code(record.procedure_code)
        procedure = self.procedures.get(code)
        if procedure is not None:
            return procedure
        if record.limit_value is None or record.limit_unit is None:
            raise RecordError(f"unknown procedure {code} and the record gives no time limit")
        procedure = Procedure(code=code, name=record.procedure_name,
                              domain_name=record.domain_name, domain_code=record.domain_code,
                              handler=record.handler, limit_value=record.limit_value,
                              limit_unit=record.limit_unit)
        self.session.add(procedure)
        self.session.flush()
        self.procedures[code] = procedure
        return procedure

    def _unit(self, record: DossierRecord) -> int:
        if record.unit_code not in self.units:
            unit = Unit(code=record.unit_code, name=record.unit_name or record.unit_code)
            self.session.add(unit)
            self.session.flush()
            self.units[record.unit_code] = unit.id
        return self.units[record.unit_code]

    def _values(self, record: DossierRecord, unit_id: int, procedure: Procedure, print_: str,
                now: dt.datetime, row: Any) -> dict[str, Any]:
        values = {name: getattr(record, name) for name in DIRECT_FIELDS}
        values.update(unit_id=unit_id, procedure_id=procedure.id, source=self.source,
                      fingerprint=print_, updated_at=now,
                      is_open=record.status not in FINAL_STATUSES,
                      extension_due_at=row.extension_due_at if row is not None else None)
        self.derive(values, procedure, record.supplements, now)
        values.pop("extension_due_at")
        return values

    def _write(self, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]
               ) -> dict[str, int]:
        ids: dict[str, int] = {}
        if inserts:
            rows = self.session.execute(insert(Dossier).returning(Dossier.id, Dossier.code),
                                        inserts)
            ids = {row.code: row.id for row in rows}
        if updates:
            self.session.execute(update(Dossier), updates)
        return ids

    def _merge_history(self, merges: list[tuple[int, DossierRecord]]) -> None:
        """Add history lines and supplement rounds not yet stored; never change old lines."""
        if not merges:
            return
        ids = [dossier_id for dossier_id, _ in merges]
        known = {tuple(row) for row in self.session.execute(
            select(StatusEvent.dossier_id, StatusEvent.at, StatusEvent.status)
            .where(StatusEvent.dossier_id.in_(ids)))}
        rounds = {(r.dossier_id, r.requested_at): r for r in self.session.scalars(
            select(SupplementRound).where(SupplementRound.dossier_id.in_(ids)))}
        new_events, new_rounds = [], []
        for dossier_id, record in merges:
            for event in record.events:
                key = (dossier_id, event.at.astimezone(dt.UTC), event.status)
                if key not in known:
                    known.add(key)
                    new_events.append({"dossier_id": dossier_id, "at": event.at,
                                       "status": event.status, "actor": event.actor,
                                       "department": event.department, "note": event.note})
            for item in record.supplements:
                stored = rounds.get((dossier_id, item.requested_at.astimezone(dt.UTC)))
                if stored is None:
                    new_rounds.append({"dossier_id": dossier_id, **_round(item)})
                    rounds[(dossier_id, item.requested_at.astimezone(dt.UTC))] = None
                elif stored is not None and stored.completed_at is None and item.completed_at:
                    stored.completed_at = item.completed_at
        if new_events:
            self.session.execute(insert(StatusEvent), new_events)
        if new_rounds:
            self.session.execute(insert(SupplementRound), new_rounds)


def _round(item: SupplementRecord) -> dict[str, Any]:
    return {"requested_at": item.requested_at, "completed_at": item.completed_at,
            "note": item.note}


def _newer(record: DossierRecord, other: DossierRecord) -> bool:
    if record.source_modified_at is None or other.source_modified_at is None:
        return True
    return record.source_modified_at >= other.source_modified_at


def _stale(record: DossierRecord, row: Any) -> bool:
    """True when the stored state is newer than the record (an out-of-order delivery)."""
    return (record.source_modified_at is not None and row.source_modified_at is not None
            and record.source_modified_at < row.source_modified_at)


def _payload(record: DossierRecord) -> dict[str, Any]:
    """The record as JSON-safe data for quarantine, without the applicant's personal data."""
    keep = ("code", "unit_code", "procedure_code", "procedure_name", "domain_name", "status",
            "received_at", "source_id", "source_modified_at")
    return {key: str(getattr(record, key)) for key in keep}
