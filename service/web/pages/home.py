"""The home page with counts by status, and the health check."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, redirect, render_template, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from service import health
from service.models import Dossier, Unit
from service.vocabulary import Status
from service.web.pages.access import current_user
from service.web.session import db, runtime

bp = Blueprint("home", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Report whether the database takes writes and when the scheduler last renewed its lease.

    503 when the database refuses writes; a stale or absent scheduler makes the status
    "degraded" with 200, so a load balancer keeps the pages and the citizen lookup in service
    while monitoring still sees the scheduler is down.
    """
    rt = runtime()
    session = db()
    database = health.database_state(session)
    try:
        # Still read when writes fail (a read-only file, a full disk): the heartbeat tells
        # whether the scheduler is down as well.
        scheduler = health.scheduler_state(
            session, rt.now(), dt.timedelta(seconds=rt.config.scheduler.lease_seconds),
            rt.config.scheduler.enabled)
    except SQLAlchemyError:
        session.rollback()
        scheduler = health.SchedulerHealth("unknown")
    fields = {"database": database, "scheduler": scheduler.state,
              "scheduler_holder": scheduler.holder,
              "scheduler_heartbeat": scheduler.heartbeat.isoformat()
              if scheduler.heartbeat else None}
    if database not in ("ok", "busy"):
        return jsonify(status="error", **fields), 503
    healthy = scheduler.state in ("ok", "disabled")
    return jsonify(status="ok" if healthy else "degraded", **fields)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Show each unit's dossiers counted by status; signed-in staff go to their dashboard."""
    if current_user() is not None:
        return redirect(url_for("dashboard.index"))
    rows = db().execute(
        select(Unit.code, Unit.name, Dossier.status, func.count())
        .join(Dossier, Dossier.unit_id == Unit.id)
        .group_by(Unit.code, Unit.name, Dossier.status)
    ).all()
    units: dict[tuple[str, str], dict[Status, int]] = {}
    for code, name, status, count in rows:
        units.setdefault((code, name), {})[status] = count
    return render_template("home.html", units=units, statuses=list(Status))
