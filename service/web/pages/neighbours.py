"""Adapters from the clerks' pages to the portal mirror and the alerts log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from service.alerts import (
    LogFilter,
    LogPage,
    active_channels,
    alert_log,
    alerts_for_complaint,
    alerts_for_dossier,
)
from service.dossiers.filters import Scope
from service.models import Dossier
from service.models.portal import PortalSync, SyncState
from service.portal.options import PortalOptions
from service.portal.state import requeue as requeue_code
from service.portal.state import sync_state_for
from service.web.session import runtime


def sync_state(session: Session, dossier: Dossier, now: dt.datetime) -> Any:
    """The dossier's portal sync view (state, attempts, payload)."""
    return sync_state_for(session, dossier, PortalOptions.from_settings(runtime().config))


def requeue(session: Session, dossier: Dossier, actor: str, now: dt.datetime) -> None:
    """Queue one dossier for another push."""
    requeue_code(session, dossier.code, actor, now)


def sync_failures(session: Session, scope: Scope) -> int:
    """How many of the scope's dossiers failed to reach the portal."""
    query = scope.apply(select(func.count()).select_from(Dossier)
                        .join(PortalSync, PortalSync.dossier_id == Dossier.id)
                        .where(PortalSync.state == SyncState.FAILED))
    return session.scalar(query) or 0


def alerts_of(session: Session, dossier: Dossier) -> list[Any]:
    """Alerts recorded for the dossier, newest first, with why unsent ones wait."""
    rt = runtime()
    return list(alerts_for_dossier(session, dossier.id, rt.config.timezone, rt.now(),
                                   active_channels(rt.config.alerts)))


def complaint_alerts(session: Session, complaint_id: int) -> list[Any]:
    """Alerts recorded for a complaint, newest first, with why unsent ones wait."""
    rt = runtime()
    return list(alerts_for_complaint(session, complaint_id, rt.config.timezone, rt.now(),
                                     active_channels(rt.config.alerts)))


def log_page(session: Session, wanted: LogFilter, before: int | None,
             within: ColumnElement[bool] | None = None) -> LogPage:
    """One page of the alerts log (`within` a user's scope), with why unsent deliveries wait."""
    rt = runtime()
    return alert_log(session, wanted, rt.now(), active_channels(rt.config.alerts),
                     before, zone=rt.config.timezone, within=within)


def payload_json(view: Any) -> str:
    """The portal payload of a sync view (already as its reader may see it), as indented JSON."""
    return json.dumps(view.payload, ensure_ascii=False, indent=2, sort_keys=True)
