"""Store canonical records: idempotent, out-of-order safe, bad records set aside, flush only.

A batch is written with a few bulk statements inside a savepoint. When the database refuses
the bulk write (a constraint the checks below could not foresee), the batch is replayed record
by record, each in its own savepoint, so one bad record is rejected and the rest still lands.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from connectors.base import (
    FIELD_LABELS,
    DossierRecord,
    RejectedRecord,
    SupplementRecord,
    WriteScope,
)
from service.dossiers.search.keys import search_columns
from service.dossiers.search.words import replace_words
from service.ingest.history import db_reason, merge_history, updates_by_columns
from service.ingest.records import (
    Catalogue,
    IngestStats,
    RecordError,
    check_record,
    fingerprint,
    latest_by_code,
    merge_rounds,
    national_code,
    new_lookup_secret,
    payload_summary,
    stale,
)
from service.ingest.scope import refusal
from service.models import Dossier, Procedure, SupplementRound, Unit
from service.vocabulary import FINAL_STATUSES

__all__ = ["Catalogue", "Deriver", "IngestStats", "Ingestor", "RecordError", "check_record",
           "fingerprint", "national_code", "new_lookup_secret"]
log = logging.getLogger(__name__)
# Record fields copied as they are onto the dossier row.
DIRECT_FIELDS = (
    "code", "summary", "applicant_name", "source_applicant_name", "applicant_id_no",
    "applicant_phone", "applicant_email", "applicant_type", "channel", "handler",
    "received_by", "filed_at", "received_at",
    "source_due_at", "status", "source_status", "source_sub_status", "finished_at",
    "returned_at", "stopped_at", "fee_due", "paid_online", "digitized", "electronic_result",
    "source_id", "source_modified_at", "notice_consent",
)
DOSSIER = Dossier.__table__
# Computes the deadline columns of a dossier row from its values, procedure and supplements.
Deriver = Callable[[dict[str, Any], Procedure, Sequence[SupplementRecord], dt.datetime], None]


@dataclass
class _Plan:
    """What one batch will write."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    merges: list[tuple[int, DossierRecord]] = field(default_factory=list)
    # Updated dossiers whose name changed, so their name words are written again.
    renamed: set[int] = field(default_factory=set)


class Ingestor:
    """Upserts batches of records for one source within the caller's transaction.

    After each `store`, `outcomes` maps each code to created / updated / unchanged / rejected,
    and `rejects` holds each refused record with its reason, for quarantine. With a `scope`
    (a sender outside the office), records outside it are refused and no unit is created.
    """

    def __init__(self, session: Session, source: str, derive: Deriver,
                 catalogue: Catalogue | None = None, scope: WriteScope | None = None) -> None:
        self.session = session
        self.source = source
        self.scope = scope
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
        latest = latest_by_code(records, self._reject)
        superseded = len(records) - len(latest) - len(self.rejects)
        prints = {code: fingerprint(record) for code, record in latest.items()}
        existing = self._existing(list(latest))
        rounds = self._stored_rounds(
            [row.id for code, row in existing.items() if row.fingerprint != prints[code]])
        plan = _Plan()
        for code, record in latest.items():
            row = existing.get(code)
            refused = None if self.scope is None else refusal(
                self.scope, self.source, record, row, self.catalogue.units, now)
            if refused:
                self._reject(record, refused)
                continue
            if row is not None and (row.fingerprint == prints[code]
                                    or self._stale(record, row, now)):
                if row.fingerprint != prints[code]:  # older news may still carry unseen history
                    try:
                        check_record(record)
                    except RecordError as exc:
                        self._reject(record, str(exc))
                        continue
                    plan.merges.append((row.id, record))
                self.outcomes[code] = "unchanged"
                continue
            try:
                values = self._values(record, prints[code], now, row,
                                      rounds.get(row.id, ()) if row is not None else ())
            except RecordError as exc:
                self._reject(record, str(exc))
                continue
            (plan.inserts if row is None else plan.updates).append(values)
            if row is not None and row.name_key != values["name_key"]:
                plan.renamed.add(row.id)
        if plan.inserts or plan.updates or plan.merges:
            self._write_plan(plan, latest)
        outcomes = list(self.outcomes.values())
        stats = IngestStats(fetched=len(records), created=outcomes.count("created"),
                            updated=outcomes.count("updated"),
                            unchanged=outcomes.count("unchanged") + superseded,
                            rejected=len(self.rejects))
        if on_reject is not None:
            for record, reason in self.rejects:
                on_reject(RejectedRecord(payload=payload_summary(record), reason=reason,
                                         source_id=record.source_id))
        return stats

    def _stale(self, record: DossierRecord, row: Any, now: dt.datetime) -> bool:
        """Whether the stored state is newer; a sender's stored stamp beyond its clock skew
        (pushed before future stamps were refused) holds back no correct update."""
        if self.scope is not None and row.source_modified_at is not None and (
                row.source_modified_at > now + self.scope.clock_skew):
            return False
        return stale(record, row)

    def _reject(self, record: DossierRecord, reason: str) -> None:
        self.rejects.append((record, reason))
        if isinstance(record.code, str):
            self.outcomes[record.code] = "rejected"

    def _existing(self, codes: list[str]) -> dict[str, Any]:
        if not codes:
            return {}
        rows = self.session.execute(
            select(Dossier.id, Dossier.code, Dossier.fingerprint, Dossier.source_modified_at,
                   Dossier.extension_due_at, Dossier.name_key, Dossier.extension_late,
                   Dossier.source, Dossier.unit_id)
            .where(Dossier.code.in_(codes)))
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
            raise RecordError(
                f"«{FIELD_LABELS['procedure_code']}» {code} chưa có trong danh mục thủ tục và hồ "
                f"sơ không ghi «{FIELD_LABELS['limit_value']}»; cần thêm thủ tục vào danh mục "
                "hoặc ghi thời hạn giải quyết của hồ sơ")
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
        # A stored dossier is seen and changed by its unit's staff only: a record naming
        # another unit for its code would overwrite it from that unit's source and hand it,
        # with the applicant's data, to that unit's staff. It waits in quarantine instead.
        if row is not None and self.catalogue.units.get(record.unit_code) != row.unit_id:
            raise RecordError(
                f"mã hồ sơ {record.code} đã là mã của một hồ sơ thuộc đơn vị khác, không phải "
                f"đơn vị {record.unit_code} của bản ghi; không ghi đè hồ sơ đó")
        procedure = self._procedure(record)
        values = {name: getattr(record, name) for name in DIRECT_FIELDS}
        if values["summary"] is not None:
            values["summary"] = values["summary"][:1000]
        values.update(unit_id=self._unit(record), procedure_id=procedure.id,
                      source=self.source, fingerprint=print_, updated_at=now,
                      is_open=record.status not in FINAL_STATUSES,
                      extension_due_at=row.extension_due_at if row is not None else None,
                      extension_late=row is not None and row.extension_late)
        try:
            self.derive(values, procedure, merge_rounds(stored_rounds, record.supplements), now)
        except RecordError:
            raise
        except (ValueError, TypeError) as exc:
            raise RecordError(f"không tính được hạn giải quyết: {exc}") from None
        values.pop("extension_due_at")
        values.update(search_columns(values))
        values.pop("extension_late")
        if row is None:
            values["lookup_secret"] = new_lookup_secret()
        else:
            values["id"] = row.id
        return values

    def _write_plan(self, plan: _Plan, latest: dict[str, DossierRecord]) -> None:
        try:
            with self.session.begin_nested():
                self._write(plan.inserts, plan.updates, plan.merges, latest, plan.renamed)
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
                    self._write(*single, [], latest, plan.renamed)
            except (IntegrityError, DataError) as exc:
                self._reject(latest[values["code"]],
                             f"cơ sở dữ liệu từ chối lưu hồ sơ: {db_reason(exc)}")
        for id_, record in plan.merges:
            try:
                with self.session.begin_nested():
                    merge_history(self.session, [(id_, record)])
            except (IntegrityError, DataError) as exc:
                self._reject(record, f"cơ sở dữ liệu từ chối lưu lịch sử hồ sơ: "
                                     f"{db_reason(exc)}")

    def _write(self, inserts: list[dict[str, Any]], updates: list[dict[str, Any]],
               merges: list[tuple[int, DossierRecord]], latest: dict[str, DossierRecord],
               renamed: set[int]) -> None:
        merges, fresh = list(merges), set()
        names = {values["code"]: values["name_key"] for values in inserts}
        # Core executemany: the ORM's bulk path groups rows by which values are None and sends
        # a statement per group; and INSERT ... RETURNING of many rows makes one huge statement
        # that psycopg parses slowly. The new ids are read back by the unique code instead.
        if inserts:
            self.session.execute(insert(DOSSIER), inserts)
            rows = self.session.execute(select(DOSSIER.c.id, DOSSIER.c.code).where(
                DOSSIER.c.code.in_([values["code"] for values in inserts])))
            words = {}
            for row in rows:
                fresh.add(row.id)
                words[row.id] = names[row.code]
                merges.append((row.id, latest[row.code]))
            replace_words(self.session, words, fresh)
        if updates:
            for statement, rows in updates_by_columns(updates):
                self.session.execute(statement, rows)
            merges.extend((values["id"], latest[values["code"]]) for values in updates)
            replace_words(self.session, {values["id"]: values["name_key"] for values in updates
                                         if values["id"] in renamed})
        merge_history(self.session, merges, frozenset(fresh))


def _detached(procedure: Procedure) -> Procedure:
    """A copy bound to no session, so a rollback in one batch cannot expire it for the next."""
    return Procedure(**{column.key: getattr(procedure, column.key)
                        for column in Procedure.__table__.columns})


