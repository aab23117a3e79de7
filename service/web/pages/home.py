"""The home page with counts by status, and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from sqlalchemy import func, select, text

from service.models import Dossier, Unit
from service.vocabulary import Status
from service.web.pages.access import current_user
from service.web.session import db

bp = Blueprint("home", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Report whether the database answers."""
    try:
        db().execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the health check reports any database fault
        return jsonify(status="error", database=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")


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
