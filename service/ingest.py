"""Store canonical records: idempotent, out-of-order safe, bad records set aside, flush only.

A batch is written with a few bulk statements inside a savepoint. When the database refuses
the bulk write (a constraint the checks below could not foresee), the batch is replayed record
by record, each in its own savepoint, so one bad record is rejected and the rest still lands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from connectors.base import DossierRecord, RejectedRecord, SupplementRecord
from service.models import Dossier, Procedure, StatusEvent, SupplementRound, Unit
from service.status import FINAL_STATUSES, Channel, Status

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
# Column widths of the dossier row; a longer value is a rejected record, not a failed batch.
MAX_LENGTHS = {
    "code": 64, "source_id": 128, "applicant_name": 255, "applicant_id_no": 32,
    "applicant_phone": 32, "applicant_email": 255, "handler": 255, "received_by": 255,
    "source_status": 64, "source_sub_status": 64, "unit_code": 64, "procedure_code": 64,
}
INSTANT_FIELDS = ("received_at", "filed_at", "source_due_at", "finished_at", "returned_at",
                  "stopped_at", "source_modified_at")
DOSSIER = Dossier.__table__
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


@dataclass
class Catalogue:
    """Units and procedures by code, shared by the batches of one run to spare a query each."""

    units: dict[str, int] = field(default_factory=dict)
    procedures: dict[str, Procedure] = field(default_factory=dict)
    loaded: bool = False


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


def check_record(record: DossierRecord) -> None:
    """Raise RecordError when a record's values cannot go into a dossier row."""
    if not isinstance(record.code, str) or not record.code.strip():
        raise RecordError("the record has no dossier code")
    if not isinstance(record.status, Status):
        raise RecordError(f"status {record.status!r} is not a portal status")
    if not isinstance(record.channel, Channel):
        raise RecordError(f"channel {record.channel!r} is not a channel")
    if not isinstance(record.applicant_name, str) or not record.applicant_name.strip():
        raise RecordError("the record has no applicant name")
    for name in INSTANT_FIELDS:
        value = getattr(record, name)
        if value is None and name != "received_at":
            continue
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise RecordError(f"{name} must be a date and time with its time zone")
    for name, limit in MAX_LENGTHS.items():
        value = getattr(record, name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise RecordError(f"{name} must be text of at most {limit} characters")
    for event in record.events:
        if not isinstance(event.status, Status) or event.at.tzinfo is None:
            raise RecordError(f"history line at {event.at} has a bad status or instant")


@dataclass
class _Plan:
    """What one batch will write."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    merges: list[tuple[int, DossierRecord]] = field(default_factory=list)


class Ingestor:
    """Upserts batches of records for one source within the caller's transaction.

    After each `store`, `outcomes` maps each code to created / updated / unchanged / rejected,
    and `rejects` holds each refused record with its reason, for quarantine.
    """

    def __init__(self, session: Session, source: str, derive: Deriver,
                 catalogue: Catalogue | None = None) -> None:
        self.session = session
        self.source = source
        self.derive = derive
        self.catalogue = catalogue or Catalogue()
        if not self.catalogue.loaded:
            self.catalogue.units.update(session.execute(select(Unit.code, Unit.id)).all())
            self.catalogue.procedures.update(
                (p.code, _detached(p)) for p in session.scalars(select(Procedure)))
            self.catalogue.loaded = True
        self.outcomes: dict[str, str] = {}
        self.rejects: list[tuple[DossierRecord, str]] = []

    def store(self, records: Sequence[DossierRecord], now: dt.datetime,
              on_reject: Callable[[RejectedRecord], None] | None = None) -> IngestStats:
        """Store a batch: insert new dossiers, update changed ones, merge history; flush only."""
        self.outcomes, self.rejects = {}, []
        latest = _latest_by_code(records, self._reject)
        superseded = len(records) - len(latest) - len(self.rejects)
        prints = {code: fingerprint(record) for code, record in latest.items()}
        existing = self._existing(list(latest))
        rounds = self._stored_rounds(
            [row.id for code, row in existing.items() if row.fingerprint != prints[code]])
        plan = _Plan()
        for code, record in latest.items():
            row = existing.get(code)
            if row is not None and (row.fingerprint == prints[code] or _stale(record, row)):
                self.outcomes[code] = "unchanged"
                if row.fingerprint != prints[code]:  # older news may still carry unseen history
                    plan.merges.append((row.id, record))
                continue
            try:
                values = self._values(record, prints[code], now, row,
                                      rounds.get(row.id, ()) if row is not None else ())
            except RecordError as exc:
                self._reject(record, str(exc))
                continue
            (plan.inserts if row is None else plan.updates).append(values)
        if plan.inserts or plan.updates or plan.merges:
            self._write_plan(plan, latest)
        outcomes = list(self.outcomes.values())
        stats = IngestStats(fetched=len(records), created=outcomes.count("created"),
                            updated=outcomes.count("updated"),
                            unchanged=outcomes.count("unchanged") + superseded,
                            rejected=len(self.rejects))
        if on_reject is not None:
            for record, reason in self.rejects:
                on_reject(RejectedRecord(payload=_payload(record), reason=reason,
                                         source_id=record.source_id))
        return stats

    def _reject(self, record: DossierRecord, reason: str) -> None:
        self.rejects.append((record, reason))
        if isinstance(record.code, str):
            self.outcomes[record.code] = "rejected"

    def _existing(self, codes: list[str]) -> dict[str, Any]:
        if not codes:
            return {}
        rows = self.session.execute(
            select(Dossier.id, Dossier.code, Dossier.fingerprint, Dossier.source_modified_at,
                   Dossier.extension_due_at).where(Dossier.code.in_(codes)))
        return {row.code: row for row in rows}

    def _stored_rounds(self, ids: list[int]) -> dict[int, tuple[SupplementRecord, ...]]:
        """Supplement rounds already stored for dossiers that changed: sources may drop them."""
        if not ids:
            return {}
        found: dict[int, list[SupplementRecord]] = {}
        for item in self.session.scalars(select(SupplementRound)
                                         .where(SupplementRound.dossier_id.in_(ids))):
            found.setdefault(item.dossier_id, []).append(
                SupplementRecord(item.requested_at, item.completed_at, item.note))
        return {id_: tuple(items) for id_, items in found.items()}

    def _procedure(self, record: DossierRecord) -> Procedure:
        code = national_code(record.procedure_code)
        procedure = self.catalogue.procedures.get(code)
        if procedure is not None:
            return procedure
        if record.limit_value is None or record.limit_unit is None:
            raise RecordError(f"unknown procedure {code} and the record gives no time limit")
        procedure = Procedure(code=code, name=record.procedure_name or code,
                              domain_name=record.domain_name or "",
                              domain_code=record.domain_code, handler=record.handler,
                              limit_value=record.limit_value, limit_unit=record.limit_unit)
        with self.session.begin_nested():
            self.session.add(procedure)
        self.catalogue.procedures[code] = _detached(procedure)
        return self.catalogue.procedures[code]

    def _unit(self, record: DossierRecord) -> int:
        if record.unit_code not in self.catalogue.units:
            unit = Unit(code=record.unit_code, name=record.unit_name or record.unit_code)
            with self.session.begin_nested():
                self.session.add(unit)
            self.catalogue.units[record.unit_code] = unit.id
        return self.catalogue.units[record.unit_code]

    def _values(self, record: DossierRecord, print_: str, now: dt.datetime, row: Any,
                stored_rounds: Sequence[SupplementRecord]) -> dict[str, Any]:
        check_record(record)
        procedure = self._procedure(record)
        values = {name: getattr(record, name) for name in DIRECT_FIELDS}
        if values["summary"] is not None:
            values["summary"] = values["summary"][:1000]
        values.update(unit_id=self._unit(record), procedure_id=procedure.id,
                      source=self.source, fingerprint=print_, updated_at=now,
                      is_open=record.status not in FINAL_STATUSES,
                      extension_due_at=row.extension_due_at if row is not None else None)
        try:
            self.derive(values, procedure, _merge_rounds(stored_rounds, record.supplements), now)
        except RecordError:
            raise
        except (ValueError, TypeError) as exc:
            raise RecordError(f"deadline cannot be computed: {exc}") from None
        values.pop("extension_due_at")
        if row is None:
            values["lookup_secret"] = new_lookup_secret()
        else:
            values["id"] = row.id
        return values

    def _write_plan(self, plan: _Plan, latest: dict[str, DossierRecord]) -> None:
        try:
            with self.session.begin_nested():
                self._write(plan.inserts, plan.updates, plan.merges, latest)
        except (IntegrityError, DataError):
            log.info("source %s: bulk write refused, storing record by record", self.source)
            self._write_one_by_one(plan, latest)
        for values in plan.inserts:
            self.outcomes.setdefault(values["code"], "created")
        for values in plan.updates:
            self.outcomes.setdefault(values["code"], "updated")

    def _write_one_by_one(self, plan: _Plan, latest: dict[str, DossierRecord]) -> None:
        for values in plan.inserts + plan.updates:
            single = ([], [values]) if "id" in values else ([values], [])
            try:
                with self.session.begin_nested():
                    self._write(*single, [], latest)
            except (IntegrityError, DataError) as exc:
                self._reject(latest[values["code"]],
                             f"the database refused the record: {_db_reason(exc)}")
        for id_, record in plan.merges:
            try:
                with self.session.begin_nested():
                    self._merge_history([(id_, record)])
            except (IntegrityError, DataError) as exc:
                self._reject(record, f"the database refused its history: {_db_reason(exc)}")

    def _write(self, inserts: list[dict[str, Any]], updates: list[dict[str, Any]],
               merges: list[tuple[int, DossierRecord]], latest: dict[str, DossierRecord]
               ) -> None:
        merges = list(merges)
        # Core statements: the ORM's bulk path groups rows by which values are None and would
        # send one statement per group, often one per row.
        if inserts:
            rows = self.session.execute(
                insert(DOSSIER).returning(DOSSIER.c.id, DOSSIER.c.code), inserts)
            merges.extend((row.id, latest[row.code]) for row in rows)
        if updates:
            for statement, rows in _updates_by_columns(updates):
                self.session.execute(statement, rows)
            merges.extend((values["id"], latest[values["code"]]) for values in updates)
        self._merge_history(merges)

    def _merge_history(self, merges: list[tuple[int, DossierRecord]]) -> None:
        """Add history lines and supplement rounds not yet stored; never change old lines."""
        merges = [(id_, r) for id_, r in merges if r.events or r.supplements]
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
                key = (dossier_id, item.requested_at.astimezone(dt.UTC))
                stored = rounds.get(key)
                if key not in rounds:
                    new_rounds.append({"dossier_id": dossier_id, "requested_at": item.requested_at,
                                       "completed_at": item.completed_at, "note": item.note})
                    rounds[key] = None
                elif stored is not None and stored.completed_at is None and item.completed_at:
                    stored.completed_at = item.completed_at
        if new_events:
            self.session.execute(insert(StatusEvent.__table__), new_events)
        if new_rounds:
            self.session.execute(insert(SupplementRound.__table__), new_rounds)
        self.session.flush()


def _updates_by_columns(updates: list[dict[str, Any]]) -> Iterator[tuple[Any, list[dict]]]:
    """One UPDATE ... WHERE id = :row_id per set of columns, with its rows as executemany."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        groups.setdefault(tuple(sorted(k for k in values if k != "id")), []).append(values)
    for columns, rows in groups.items():
        statement = (update(DOSSIER).where(DOSSIER.c.id == bindparam("row_id"))
                     .values({name: bindparam(name) for name in columns}))
        yield statement, [{**row, "row_id": row["id"]} for row in rows]


def _latest_by_code(records: Sequence[DossierRecord],
                    reject: Callable[[DossierRecord, str], None]) -> dict[str, DossierRecord]:
    """Keep the newest record of each code in the batch; codeless records are rejected."""
    latest: dict[str, DossierRecord] = {}
    for record in records:
        if not isinstance(record.code, str) or not record.code.strip():
            reject(record, "the record has no dossier code")
            continue
        kept = latest.get(record.code)
        if kept is None or _newer(record, kept):
            latest[record.code] = record
    return latest


def _detached(procedure: Procedure) -> Procedure:
    """A copy bound to no session, so a rollback in one batch cannot expire it for the next."""
    return Procedure(**{column.key: getattr(procedure, column.key)
                        for column in Procedure.__table__.columns})


def _merge_rounds(stored: Sequence[SupplementRecord], given: Sequence[SupplementRecord]
                  ) -> tuple[SupplementRecord, ...]:
    """Stored rounds completed by what the record says; a source may report only the latest."""
    by_start = {item.requested_at: item for item in stored}
    for item in given:
        kept = by_start.get(item.requested_at)
        if kept is None or (kept.completed_at is None and item.completed_at is not None):
            by_start[item.requested_at] = item
    return tuple(sorted(by_start.values(), key=lambda item: item.requested_at))


def _newer(record: DossierRecord, other: DossierRecord) -> bool:
    if record.source_modified_at is None or other.source_modified_at is None:
        return True
    return record.source_modified_at >= other.source_modified_at


def _stale(record: DossierRecord, row: Any) -> bool:
    """True when the stored state is newer than the record (an out-of-order delivery)."""
    return (record.source_modified_at is not None and row.source_modified_at is not None
            and record.source_modified_at < row.source_modified_at)


def _db_reason(exc: IntegrityError | DataError) -> str:
    """The driver's first line only: SQLAlchemy's text would echo the row's personal data."""
    return str(exc.orig).strip().splitlines()[0][:300]


def _payload(record: DossierRecord) -> dict[str, Any]:
    """The record as JSON-safe data for quarantine, without the applicant's personal data."""
    keep = ("code", "unit_code", "procedure_code", "procedure_name", "domain_name", "status",
            "received_at", "source_id", "source_modified_at")
    return {key: str(getattr(record, key)) for key in keep}
