"""`tthc-monitor check`: what an operator verifies before going live, one line per check.

Nothing is sent and nothing is written: the SMTP server is logged in to and left, each pulled
connector reads one page, the portal gateway is logged in to in live mode, and the database is
probed with a write that changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from jobs.schedule import NOT_PULLED
from jobs.sync import live_client
from migrations import alembic_config
from service.alerts.channels import EmailChannel
from service.config.credentials import read_secret, secret_source
from service.config.secret_key import MAKE_ONE, MIN_LENGTH, configured_key, source, weakness
from service.config.settings import Settings
from service.db import error_line
from service.health import database_state
from service.runtime import Runtime

MAX_CLOCK_SKEW = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Check:
    """One line of the report: ok, warn, skip or fail, what was checked, and what was found."""

    level: str
    name: str
    detail: str

    def line(self) -> str:
        """The check as printed: `fail  database: ...`."""
        return f"{self.level:<5} {self.name}: {self.detail}"


def run_checks(runtime: Runtime, environ: Mapping[str, str], now: dt.datetime) -> list[Check]:
    """Every check, in the order an operator fixes things; a crash in one is its failure."""
    checks: list[Check] = [Check("ok", "configuration", runtime.config.source_file)]
    steps: list[tuple[str, Callable[[], Iterator[Check]]]] = [
        ("database", lambda: check_database(runtime)),
        ("secret_key", lambda: check_secret(runtime.settings, environ)),
        ("public_url", lambda: check_public_url(runtime.config)),
        ("e-mail", lambda: check_smtp(runtime.config, environ)),
        ("connectors", lambda: check_connectors(runtime, now)),
        ("portal", lambda: check_portal(runtime.config, environ)),
        ("clock", lambda: check_clock(runtime, now)),
    ]
    for name, step in steps:
        try:
            checks.extend(step())
        except Exception as exc:  # noqa: BLE001 - a check that cannot run has failed
            checks.append(Check("fail", name, error_line(exc)))
    return checks


def check_database(runtime: Runtime) -> Iterator[Check]:
    """Reachable, migrated to the newest revision, and taking writes."""
    with runtime.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(runtime.engine)).get_current_head()
    url = runtime.engine.url.render_as_string(hide_password=True)
    if current != head:
        yield Check("fail", "database", f"{url} is at revision {current or 'none'}, the code "
                    f"needs {head}: run `tthc-monitor db upgrade`")
        return
    with runtime.sessions() as session:
        state = database_state(session)
    level = "ok" if state in ("ok", "busy") else "fail"
    yield Check(level, "database", f"{url}: reachable, migrated ({head}), writes: {state}")


def check_secret(settings: Mapping[str, Any], environ: Mapping[str, str]) -> Iterator[Check]:
    """The session-signing key is the one `serve` would accept (never printed)."""
    key = configured_key(settings, environ)
    why = weakness(key)
    if why:
        yield Check("fail", "secret_key", f"{source(settings)} {why}: set TTHC_SECRET_KEY (or "
                    f"secret_key_file) to {MIN_LENGTH}+ random characters ({MAKE_ONE})")
    else:
        yield Check("ok", "secret_key", f"{len(key)} characters")


def check_public_url(settings: Settings) -> Iterator[Check]:
    """Receipt QR codes carry [lookup] public_url: citizens on the Internet need https."""
    url = settings.lookup.public_url
    if not url:
        yield Check("warn", "public_url", "[lookup] public_url is empty: receipts are printed "
                    "without a QR code or a link to the lookup")
    elif not url.startswith("https://"):
        yield Check("warn", "public_url", f"{url} is plain HTTP: citizens reach the lookup "
                    "over the Internet, serve it over HTTPS")
    else:
        yield Check("ok", "public_url", url)


def check_smtp(settings: Settings, environ: Mapping[str, str]) -> Iterator[Check]:
    """Log in to the SMTP server (STARTTLS first when configured) and leave; no mail sent."""
    email = settings.alerts.email
    if not email["host"]:
        yield Check("skip", "e-mail", "[alerts.email] host is empty: e-mail alerts are off")
        return
    channel = EmailChannel(email["host"], email["port"], email["sender"],
                           starttls=email["starttls"], username=email["username"],
                           password=read_secret(email, "password", environ),
                           timeout=email["timeout_s"])
    try:
        channel.verify()
    finally:
        channel.close()
    how = f"logged in as {email['username']} (password from " \
          f"{secret_source(email, 'password')})" if email["username"] else "no login configured"
    yield Check("ok", "e-mail", f"{email['host']}:{email['port']}: {how}")


def check_connectors(runtime: Runtime, now: dt.datetime) -> Iterator[Check]:
    """Each connector's credentials: a pulled one reads one page; the others their setup."""
    for name, options in sorted(runtime.config.connectors.items()):
        label = f"connector {name}"
        try:
            yield Check("ok", label, _connector_detail(runtime, name, options, now))
        except Exception as exc:  # noqa: BLE001 - each connector is its own line
            yield Check("fail", label, error_line(exc))


def _connector_detail(runtime: Runtime, name: str, options: Mapping[str, Any],
                      now: dt.datetime) -> str:
    kind = options["type"]
    if kind == "webhook":
        if not options.get("token_sha256") and not read_secret(options, "hmac_secret"):
            raise ValueError("no token_sha256 and no HMAC secret: nobody can push")
        scope = runtime.connector(name).write_scope()
        units = scope.units if scope is not None else frozenset()
        declared = {unit.code for unit in runtime.config.units}
        if units - declared:
            raise ValueError(f"units {', '.join(sorted(units - declared))} are not in [[units]]: "
                             "their pushed records are refused")
        return f"push accepted with its token or signature, for {', '.join(sorted(units))}"
    if kind == "spreadsheet":
        folder = options.get("folder")
        if not folder:
            return "no folder: files come by `tthc-monitor import`"
        if not Path(folder).is_dir() or not os.access(folder, os.W_OK):
            raise ValueError(f"folder {folder} is missing or not writable")
        return f"folder {folder} is writable"
    if kind in NOT_PULLED:
        return kind
    connector = runtime.connector(name)
    try:
        batch = next(iter(connector.fetch(None, now)), None)
    finally:
        connector.close()
    return f"read one page ({len(batch.records) if batch else 0} record(s))"


def check_portal(settings: Settings, environ: Mapping[str, str]) -> Iterator[Check]:
    """In live mode, log in to the province's gateway."""
    portal = settings.portal
    if portal.mode != "live":
        yield Check("skip", "portal", f"mode {portal.mode!r}: nothing leaves this machine")
        return
    client = live_client(settings, environ)
    try:
        client.login()
    finally:
        client.close()
    yield Check("ok", "portal", f"logged in to {portal.gateway_url} as {portal.username}")


def check_clock(runtime: Runtime, now: dt.datetime) -> Iterator[Check]:
    """Show the office time; on PostgreSQL compare this machine's clock with the server's."""
    local = runtime.calendar.local(now)
    detail = f"{local:%Y-%m-%d %H:%M:%S %z} ({runtime.config.timezone})"
    if runtime.engine.dialect.name != "postgresql":
        yield Check("ok", "clock", detail)
        return
    with runtime.engine.connect() as conn:
        server = conn.execute(text("SELECT now()")).scalar_one()
    skew = abs(server - now)
    level = "ok" if skew <= MAX_CLOCK_SKEW else "fail"
    yield Check(level, "clock", f"{detail}; database server differs by "
                f"{skew.total_seconds():.1f} s (leases need under {MAX_CLOCK_SKEW.seconds} s: NTP)")
