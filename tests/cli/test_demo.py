"""The demo's first-run helpers: one admin account, and a scan so the dashboard is complete."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import func, select

from service.cli.db import seed_reference_data
from service.cli.serve import _demo_account, _first_scan
from service.ingest.runs import run_connector
from service.models import Dossier, User
from service.runtime import Runtime
from service.users.accounts import authenticate


def test_demo_account_is_created_once_and_its_password_works(runtime: Runtime) -> None:
    import click

    seed_reference_data(runtime)
    with click.Context(click.Command("demo")):
        runner = CliRunner()
        with runner.isolation() as (out, _err, _):
            _demo_account(runtime)
            _demo_account(runtime)
        printed = out.getvalue().decode()
    assert printed.count("Demo account created") == 1
    password = printed.split("password '")[1].split("'")[0]
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
        admin = authenticate(session, "admin", password, runtime.now())
        assert admin is not None and admin.must_change_password


def test_first_scan_classifies_every_open_dossier(runtime: Runtime) -> None:
    from connectors.simulator import SimulatorConnector

    now = dt.datetime(2026, 3, 20, 3, tzinfo=dt.UTC)
    run_connector(runtime.sessions, SimulatorConnector("sim", {"backfill_days": 10}),
                  runtime.derive, now)
    _first_scan(runtime)
    with runtime.sessions() as session:
        unclassified = session.scalar(select(func.count()).select_from(Dossier).where(
            Dossier.is_open, Dossier.deadline_class.is_(None)))
    assert unclassified == 0
