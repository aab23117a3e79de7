"""Turn a scan's transitions and the milestones it passed into alert rows, once each."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select, true
from sqlalchemy.orm import Session

from service.alerts.policy import AlertPolicy, last_due_reaching
from service.alerts.recipients import Directory, Party
from service.dossiers.scan import CHUNK, ScanResult
from service.models import Alert, AlertDelivery, AlertDigest, Dossier, Unit
from service.models.alerts import AlertKind, DeliveryState
from service.models.scheduling import id_in, insert_ignoring_duplicates
from service.vocabulary import DeadlineClass

RUNNING = (DeadlineClass.WITHIN, DeadlineClass.NEAR)


@dataclass
class RaiseReport:
    """Alerts created by one call, by (kind, level), and events nobody is configured for."""

    created: Counter[tuple[AlertKind, int]] = field(default_factory=Counter)
    unrouted: int = 0
    # Who got a new alert, and the summary digests a baseline created instead of deliveries.
    recipients: set[str] = field(default_factory=set)
    summaries: int = 0

    @property
    def total(self) -> int:
        """How many alert rows were created."""
        return sum(self.created.values())


def raise_alerts(session: Session, scan: ScanResult, policy: AlertPolicy, directory: Directory,
                 channels: Collection[str], baseline: bool = False) -> RaiseReport:
    """Create the alerts a scan calls for, with a pending delivery per active channel.

    Near and overdue alerts follow the scan's transitions. The apology duty and the level-2
    escalation are instants derived from due_at; the dossiers whose instant the scan passed
    are read by due_at range. A rerun or a second scanner inserts nothing new.

    A `baseline` scan (going live on a backlog) records the alerts without a delivery each:
    every recipient gets one summary digest of their open items instead.
    """
    events = _transition_events(scan)
    candidates = _milestone_candidates(session, scan, policy)
    facts = _facts(session, candidates | {dossier_id for dossier_id, _, _ in events})
    events |= _milestones(candidates, facts, policy, scan.now)
    report = RaiseReport()
    rows = []
    for dossier_id, kind, level in sorted(events, key=lambda e: (e[0], e[1].value, e[2])):
        fact = facts.get(dossier_id)
        if fact is None or not fact.is_open or fact.due_at is None:
            continue
        party = Party(fact.unit_code, fact.handler, fact.received_by)
        found = directory.resolve(party, policy.roles(kind, level))
        report.unrouted += not found
        rows.extend(alert_row({"dossier_id": dossier_id}, kind, level, recipient.key,
                              recipient.name, role, fact.due_at, scan.now, policy)
                    for recipient, role in found)
    store_alerts(session, rows, directory, () if baseline else channels, report)
    if baseline:
        report.summaries = _summaries(session, report.recipients, directory, channels,
                                      scan.now, policy)
    return report


def _summaries(session: Session, keys: Collection[str], directory: Directory,
               channels: Collection[str], now: dt.datetime, policy: AlertPolicy) -> int:
    """One digest today per recipient of a baseline's alerts, sent at the next opening."""
    day, send_at = policy.calendar.local(now).date(), policy.send_after(now, 1)
    rows = [{"recipient": key, "channel": channel, "day": day, "created_at": now,
             "next_attempt_at": send_at, "state": DeliveryState.PENDING, "attempts": 0}
            for key in sorted(keys) if (recipient := directory.get(key)) is not None
            for channel in recipient.channels if channel in channels]
    return len(insert_ignoring_duplicates(session, AlertDigest, rows,
                                          returning=(AlertDigest.id,)))


def _transition_events(scan: ScanResult) -> set[tuple[int, AlertKind, int]]:
    """Near and overdue alerts: one event per move into those classes."""
    kinds = {DeadlineClass.NEAR: AlertKind.NEAR, DeadlineClass.OVERDUE: AlertKind.OVERDUE}
    return {(move.dossier_id, kinds[move.after], 1) for move in scan.transitions
            if move.after in kinds}


def store_alerts(session: Session, rows: list[dict[str, Any]], directory: Directory,
                 channels: Collection[str], report: RaiseReport) -> None:
    """Insert the alerts nobody inserted before, and a delivery per channel for each."""
    created = insert_ignoring_duplicates(session, Alert, rows, returning=(
        Alert.id, Alert.kind, Alert.level, Alert.recipient, Alert.send_after))
    deliveries = []
    for row in created:
        report.created[(row.kind, row.level)] += 1
        report.recipients.add(row.recipient)
        recipient = directory.get(row.recipient)
        deliveries.extend({"alert_id": row.id, "channel": channel, "attempts": 0,
                           "state": DeliveryState.PENDING, "next_attempt_at": row.send_after}
                          for channel in (recipient.channels if recipient else ())
                          if channel in channels)
    if deliveries:
        session.execute(AlertDelivery.__table__.insert(), deliveries)
    session.flush()


def alert_row(subject: dict[str, int], kind: AlertKind, level: int, key: str, name: str,
              role: str, due_at: dt.datetime, now: dt.datetime, policy: AlertPolicy
              ) -> dict[str, Any]:
    """One alert row about a subject ({"dossier_id": …} or {"complaint_id": …})."""
    return {**subject, "kind": kind, "level": level, "recipient": key,
            "recipient_name": name, "recipient_role": role, "due_at": due_at,
            "created_at": now, "send_after": policy.send_after(now, level)}


def _milestone_candidates(session: Session, scan: ScanResult, policy: AlertPolicy) -> set[int]:
    """Dossiers that may have reached their apology or escalation instant during the scan."""
    ids = set(scan.changed_ids) | {move.dossier_id for move in scan.transitions}
    if scan.previous is None or scan.now <= scan.previous:
        return ids
    for instant_of in (policy.apology_at, policy.escalation_at):
        low = last_due_reaching(instant_of, scan.previous)
        high = last_due_reaching(instant_of, scan.now)
        ids.update(session.scalars(select(Dossier.id).where(
            Dossier.is_open == true(), Dossier.due_at > low, Dossier.due_at <= high)))
    return ids


def _milestones(candidates: Iterable[int], facts: dict[int, Row[Any]], policy: AlertPolicy,
                now: dt.datetime) -> set[tuple[int, AlertKind, int]]:
    """The apology and escalation events due at now among the candidates."""
    escalate_through = last_due_reaching(policy.escalation_at, now)
    apology_through = last_due_reaching(policy.apology_at, now)
    events = set()
    for dossier_id in candidates:
        fact = facts.get(dossier_id)
        if fact is None or fact.due_at is None or not fact.is_open:
            continue
        if fact.deadline_class is DeadlineClass.OVERDUE and fact.due_at <= escalate_through:
            events.add((dossier_id, AlertKind.OVERDUE, 2))
        if (fact.deadline_class in RUNNING and now < fact.due_at <= apology_through
                and fact.extension_due_at is None
                # A limit of a day or less leaves no day before the due date to apologise in.
                and policy.apology_at(fact.due_at) > fact.received_at):
            events.add((dossier_id, AlertKind.APOLOGY, 1))
    return events


def _facts(session: Session, ids: set[int]) -> dict[int, Row[Any]]:
    """What rules and recipients need of each dossier, read in chunks."""
    ordered, facts = sorted(ids), {}
    for start in range(0, len(ordered), CHUNK):
        rows = session.execute(
            select(Dossier.id, Dossier.is_open, Dossier.deadline_class, Dossier.due_at,
                   Dossier.received_at, Dossier.handler, Dossier.received_by,
                   Dossier.extension_due_at, Unit.code.label("unit_code"))
            .join(Unit, Unit.id == Dossier.unit_id)
            .where(id_in(Dossier.id, ordered[start:start + CHUNK])))
        facts.update((row.id, row) for row in rows)
    return facts
