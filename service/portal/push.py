"""Push one dossier to the portal: the dossier first, then its unsent progress lines in order."""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from connectors.dvcqg import (
    PROGRESS_CHUNK,
    SYNC_DOSSIER,
    UPDATE_PROGRESS,
    GatewayUnavailable,
    PortalError,
    PortalLoginError,
)
from service.models import Dossier, PortalProgressLine, PortalSync, StatusEvent, SyncState
from service.portal.options import PortalOptions
from service.portal.outbox import Gateway
from service.portal.payload import (
    build_payload,
    content_key,
    ordered_events,
    payload_hash,
    progress_line,
)
from service.portal.state import acked_events, load_dossiers

log = logging.getLogger(__name__)
ERROR_LIMIT = 2000
# Portal messages may echo what they refused; logs must never carry personal data.
PERSONAL_DATA = re.compile(r"\d{9,}|[\w.+-]+@[\w-]+(\.[\w-]+)+")


@dataclass
class PushResult:
    """What one push did for one dossier."""

    code: str
    acked: bool = False
    sent_dossier: bool = False
    updating: bool = False
    lines: int = 0
    error: str | None = None
    permanent: bool = False
    unavailable: bool = False


@dataclass
class Target:
    """A dossier to push, loaded with its sync row and the lines the portal acknowledged."""

    row: PortalSync
    dossier: Dossier
    acked: set[int]


def load_targets(session: Session, sync_ids: Sequence[int]) -> list[Target]:
    """Load a group of sync rows and their dossiers in a few queries, in the order given."""
    rows = {r.id: r for r in session.scalars(select(PortalSync)
                                             .where(PortalSync.id.in_(list(sync_ids))))}
    dossier_ids = [r.dossier_id for r in rows.values()]
    dossiers = {d.id: d for d in load_dossiers(session, dossier_ids)}
    acked = acked_events(session, dossier_ids)
    return [Target(rows[i], dossiers[rows[i].dossier_id], acked[rows[i].dossier_id])
            for i in sync_ids if i in rows]


def push_dossier(session: Session, gateway: Gateway, target: Target, now: dt.datetime,
                 options: PortalOptions, rng: random.Random,
                 checkpoint: Callable[[], None] = lambda: None) -> PushResult:
    """Send what the portal lacks for one dossier and record each acknowledgement.

    `checkpoint` runs after every acknowledged call (the live job passes session.commit) so a
    crash never forgets what the portal already has. A failure is recorded on the dossier with
    its backoff; PortalLoginError and database faults are not the dossier's and propagate.
    """
    row, dossier = target.row, target.dossier
    result = PushResult(code=dossier.code)
    try:
        item_hash = _send(session, gateway, target, now, options, result, checkpoint)
    except (PortalLoginError, SQLAlchemyError):
        raise
    except PortalError as exc:
        return _failed(row, exc, now, options, rng, result)
    except Exception as exc:  # noqa: BLE001 - one dossier's odd data must not stop the run
        log.exception("portal sync of %s: unexpected fault", dossier.code)
        fault = PortalError(f"internal error on {dossier.code}: {type(exc).__name__}: {exc}",
                            permanent=True)
        return _failed(row, fault, now, options, rng, result)
    row.state, row.changed_at, row.next_attempt_at = SyncState.SYNCED, None, None
    row.attempts, row.permanent, row.last_error = 0, False, None
    row.current_hash = content_key(item_hash, (e.id for e in dossier.events))
    result.acked = True
    return result


def _send(session: Session, gateway: Gateway, target: Target, now: dt.datetime,
          options: PortalOptions, result: PushResult, checkpoint: Callable[[], None]) -> str:
    """Push the dossier if the portal lacks this payload, then its unsent lines by tens."""
    row, dossier = target.row, target.dossier
    madonvi = options.madonvi(dossier.unit.code)
    item = build_payload(dossier, options)
    item_hash = payload_hash(item)
    if item_hash != row.acked_hash or not row.on_portal:
        reply = gateway.sync_dossier(madonvi, item, updating=row.on_portal)
        row.on_portal, row.acked_hash, row.acked_at = True, item_hash, now
        row.acked_status, row.reply = dossier.status.value, reply.message
        result.sent_dossier, result.updating = True, reply.updating
        checkpoint()
    for chunk in _unsent_chunks(target):
        reply = gateway.update_progress(
            madonvi, [progress_line(dossier, event, options) for event in chunk])
        session.add_all(PortalProgressLine(dossier_id=dossier.id, event_id=event.id,
                                           acked_at=now) for event in chunk)
        target.acked.update(event.id for event in chunk)
        row.reply = reply.message
        result.lines += len(chunk)
        checkpoint()
    return item_hash


def _failed(row: PortalSync, exc: PortalError, now: dt.datetime, options: PortalOptions,
            rng: random.Random, result: PushResult) -> PushResult:
    _record_failure(row, exc, now, options, rng)
    log.warning("portal sync of %s failed (%s, attempt %d): %s", result.code,
                "permanent" if exc.permanent else "will retry", row.attempts, scrub(str(exc)))
    result.error, result.permanent = str(exc), exc.permanent
    result.unavailable = isinstance(exc, GatewayUnavailable)
    return result


def scrub(text: str) -> str:
    """Blank out anything shaped like an ID number, a phone number or an e-mail, for logs."""
    return PERSONAL_DATA.sub("…", text)


def planned_calls(target: Target, options: PortalOptions) -> list[dict[str, Any]]:
    """The envelopes (without the session token) a push would send now; reads only."""
    row, dossier = target.row, target.dossier
    madonvi = options.madonvi(dossier.unit.code)
    item = build_payload(dossier, options)
    calls: list[dict[str, Any]] = []
    if payload_hash(item) != row.acked_hash or not row.on_portal:
        calls.append({"madonvi": madonvi, "service": SYNC_DOSSIER,
                      "isUpdating": "True" if row.on_portal else "False", "data": [item]})
    for chunk in _unsent_chunks(target):
        calls.append({"madonvi": madonvi, "service": UPDATE_PROGRESS,
                      "data": [progress_line(dossier, event, options) for event in chunk]})
    return calls


def _unsent_chunks(target: Target) -> list[list[StatusEvent]]:
    lines = [e for e in ordered_events(target.dossier.events) if e.id not in target.acked]
    return [lines[i:i + PROGRESS_CHUNK] for i in range(0, len(lines), PROGRESS_CHUNK)]


def _record_failure(row: PortalSync, exc: PortalError, now: dt.datetime,
                    options: PortalOptions, rng: random.Random) -> None:
    row.state, row.attempts = SyncState.FAILED, row.attempts + 1
    row.last_error, row.reply = str(exc)[:ERROR_LIMIT], exc.reply
    row.permanent = exc.permanent
    row.next_attempt_at = None if exc.permanent else now + options.retry.delay(row.attempts, rng)
    row.changed_at = row.changed_at or now
