"""Job: push what changed to the national portal (mode "record": into the outbox)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
from collections.abc import Mapping, Sequence

from connectors.dvcqg import DvcqgClient, GatewayConfig
from service.config.credentials import read_secret
from service.config.settings import Settings
from service.portal import OutboxGateway, PortalOptions, SyncReport, run_sync
from service.portal.runs import GatewayFor
from service.runtime import Runtime

log = logging.getLogger(__name__)
CLIENT_KEY = "dvcqg_client"


def live_client(settings: Settings, environ: Mapping[str, str]) -> DvcqgClient:
    """The gateway client for [portal]; the password from password_file or password_env."""
    portal = settings.portal
    password = read_secret({"password_file": portal.password_file,
                            "password_env": portal.password_env}, "password", environ)
    return DvcqgClient(GatewayConfig(
        url=portal.gateway_url, username=portal.username, password=password,
        auth_path=portal.auth_path, dstcode=portal.dstcode,
        connect_timeout_s=portal.connect_timeout_s, read_timeout_s=portal.read_timeout_s,
        session_seconds=portal.session_minutes * 60, permanent_errors=portal.permanent_errors,
        auth_errors=portal.auth_errors))


def gateway_for(runtime: Runtime, now: dt.datetime, job: str = "sync") -> GatewayFor:
    """The outbox in mode "record"; in mode "live" a client kept on the runtime per job.

    Keeping the client keeps its login session between runs; one per job because the sync
    and reconcile jobs may run at once in the scheduler's threads.
    """
    if runtime.config.portal.mode == "record":
        return lambda session: OutboxGateway(session, now)
    key = f"{CLIENT_KEY}:{job}"
    client = runtime.extras.get(key)
    if client is None:
        client = runtime.extras[key] = live_client(runtime.config, os.environ)
    return lambda session: client


def run(runtime: Runtime, now: dt.datetime, codes: Sequence[str] | None = None,
        rng: random.Random | None = None) -> SyncReport | None:
    """One sync run; a fault is logged and the next run starts afresh."""
    options = PortalOptions.from_settings(runtime.config)
    try:
        report = run_sync(runtime.sessions, gateway_for(runtime, now), now, options,
                          rng or random.Random(), codes=codes)
    except Exception:  # noqa: BLE001 - the scheduler goes on; the next run retries
        log.exception("portal sync failed")
        return None
    log.info("portal sync (%s): %d compared, %d pending, %d acknowledged, %d failed%s",
             options.mode, report.checked, report.pending, report.acked, report.failed,
             f"; stopped: {report.stopped or report.error}" if report.stopped or report.error
             else "")
    return report
