"""All tables; importing this package registers every model on Base.metadata."""

from service.db import Base
from service.models.alerts import Alert, AlertDelivery, AlertDigest, AlertMessage
from service.models.complaints import Complaint, ComplaintSource, ComplaintStatus
from service.models.dossiers import Dossier, NameWord, StatusEvent, SupplementRound
from service.models.ingestion import (
    ConnectorCursor,
    ConnectorRun,
    QuarantinedRecord,
    SpreadsheetUpload,
    WebhookReplay,
)
from service.models.notices import (
    CitizenNotice,
    NoticeAttempt,
    NoticeOptOut,
    NoticeToken,
)
from service.models.portal import (
    PortalOutbox,
    PortalProgressLine,
    PortalSync,
    PortalSyncRun,
    SyncState,
)
from service.models.ratings import CitizenRating
from service.models.scheduling import DeadlineTransition, ScanState, SchedulerLease
from service.models.tokens import ApiToken
from service.models.units import Procedure, Unit
from service.models.users import AuditLog, Role, User

__all__ = [
    "Alert",
    "AlertDelivery",
    "AlertDigest",
    "AlertMessage",
    "ApiToken",
    "AuditLog",
    "Base",
    "CitizenNotice",
    "CitizenRating",
    "Complaint",
    "ComplaintSource",
    "ComplaintStatus",
    "ConnectorCursor",
    "ConnectorRun",
    "DeadlineTransition",
    "Dossier",
    "NameWord",
    "NoticeAttempt",
    "NoticeOptOut",
    "NoticeToken",
    "Procedure",
    "PortalOutbox",
    "PortalProgressLine",
    "PortalSync",
    "PortalSyncRun",
    "QuarantinedRecord",
    "Role",
    "ScanState",
    "SchedulerLease",
    "SpreadsheetUpload",
    "WebhookReplay",
    "StatusEvent",
    "SupplementRound",
    "SyncState",
    "Unit",
    "User",
]
