"""Mirror of dossiers on the National Public Service Portal (DVCQG): state, push, reconcile.

Pages, the API and the CLI call these; the jobs in jobs/sync.py and jobs/reconcile.py run them.
"""

from service.models import PortalOutbox, PortalProgressLine, PortalSync, PortalSyncRun, SyncState
from service.portal.options import PortalOptions, RetryPolicy
from service.portal.outbox import Gateway, OutboxGateway
from service.portal.overview import RunSummary, SyncOverview, sync_overview
from service.portal.payload import (
    build_payload,
    payload_hash,
    portal_time,
    progress_line,
)
from service.portal.push import PushResult, planned_calls, push_dossier
from service.portal.reconcile import CheckResult, check_dossier
from service.portal.runs import (
    ReconcileReport,
    SyncReport,
    preview_sync,
    run_reconcile,
    run_sync,
)
from service.portal.state import (
    SyncStateView,
    UnknownDossier,
    find_dossier,
    refresh,
    requeue,
    sync_state_for,
)

__all__ = [
    "CheckResult", "Gateway", "OutboxGateway", "PortalOptions", "PortalOutbox",
    "PortalProgressLine", "PortalSync", "PortalSyncRun", "PushResult", "ReconcileReport",
    "RetryPolicy", "RunSummary", "SyncOverview", "SyncReport", "SyncState", "SyncStateView",
    "UnknownDossier", "build_payload", "check_dossier", "find_dossier", "payload_hash",
    "planned_calls", "portal_time", "preview_sync", "progress_line", "push_dossier",
    "refresh", "requeue", "run_reconcile", "run_sync", "sync_overview", "sync_state_for",
]
