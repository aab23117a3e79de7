"""Adapters from the clerks' pages to the portal mirror and the alerts log.

Both are built beside the web app (issues 5 and 6); each adapter imports lazily and answers
"not available" when the module is not installed, so the pages work without them.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from types import ModuleType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.dossiers.filters import Scope
from service.models import Dossier
from service.web.session import runtime


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def has_portal() -> bool:
    """Whether the portal mirror is installed."""
    return _module("service.portal.state") is not None


def _portal_options() -> Any:
    options = _module("service.portal.options")
    return None if options is None else options.PortalOptions.from_settings(runtime().settings)


def sync_state(session: Session, dossier: Dossier, now: dt.datetime) -> Any | None:
    """The dossier's portal sync view (state, attempts, payload), or None without the mirror."""
    state = _module("service.portal.state")
    if state is None:
        return None
    return state.sync_state_for(session, dossier, _portal_options())


def requeue(session: Session, dossier: Dossier, actor: str, now: dt.datetime) -> bool:
    """Queue one dossier for another push; False when the mirror is not installed."""
    state = _module("service.portal.state")
    if state is None:
        return False
    state.requeue(session, dossier.code, actor, now)
    return True


def sync_failures(session: Session, scope: Scope) -> int | None:
    """How many of the scope's dossiers failed to reach the portal; None without the mirror."""
    models = _module("service.models.portal")
    if models is None:
        return None
    sync = models.PortalSync
    query = scope.apply(select(func.count()).select_from(Dossier)
                        .join(sync, sync.dossier_id == Dossier.id)
                        .where(sync.state == models.SyncState.FAILED))
    return session.scalar(query) or 0


def alerts_of(session: Session, dossier: Dossier) -> list[Any]:
    """Alerts recorded for the dossier, newest first, or [] without the alerts module."""
    module = _module("service.alerts")
    finder = getattr(module, "alerts_for_dossier", None) if module else None
    return list(finder(session, dossier.id, runtime().settings["timezone"])) if finder else []


def alert_log(session: Session, limit: int = 200) -> list[Any] | None:
    """The latest alerts and deliveries, or None without the alerts module."""
    module = _module("service.alerts")
    finder = getattr(module, "recent_alerts", None) if module else None
    return list(finder(session, limit, runtime().settings["timezone"])) if finder else None


def payload_json(view: Any, personal: bool) -> str:
    """The portal payload as indented JSON; ID number, phone and e-mail masked unless allowed."""
    item = view.payload
    if not personal:
        payload = _module("service.portal.payload")
        item = payload.masked(item) if payload else {}
    return json.dumps(item, ensure_ascii=False, indent=2, sort_keys=True)
