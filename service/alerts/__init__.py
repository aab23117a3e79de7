"""Automatic alerts: raised from deadline transitions, sent once per recipient, recorded.

Flow: the deadline scan records transitions; `raise_alerts` turns them (and the apology and
escalation instants the scan passed) into unique alert rows with a delivery per channel, and
`raise_complaint_alerts` does the same for complaints moving near or past their limit;
`deliver` sends what is due on e-mail and webhook, holds it outside office hours, folds it
into a digest when a recipient has many, retries failures with backoff, and records each try.
"""

from service.alerts.channels import (
    Channel,
    DeliveryError,
    EmailChannel,
    WebhookChannel,
    active_channels,
    build_channels,
)
from service.alerts.complaints import raise_complaint_alerts
from service.alerts.delivery import DeliveryReport, deliver
from service.alerts.digest import create_digests, open_items
from service.alerts.log import (
    LOG_STATES,
    AlertRecord,
    LogFilter,
    LogPage,
    alert_log,
    alerts_for_complaint,
    alerts_for_dossier,
    recent_alerts,
)
from service.alerts.messages import Item, Rendered, render
from service.alerts.policy import AlertPolicy
from service.alerts.raising import RaiseReport, raise_alerts
from service.alerts.recipients import (
    ConfigRecipients,
    Directory,
    Party,
    Recipient,
    RecipientSource,
)

__all__ = [
    "LOG_STATES", "AlertPolicy", "AlertRecord", "Channel", "ConfigRecipients", "DeliveryError",
    "DeliveryReport", "Directory", "EmailChannel", "Item", "LogFilter", "LogPage", "Party",
    "RaiseReport", "Recipient", "RecipientSource", "Rendered", "WebhookChannel",
    "active_channels", "alert_log", "alerts_for_complaint", "alerts_for_dossier",
    "build_channels", "create_digests", "deliver", "open_items", "raise_alerts",
    "raise_complaint_alerts", "recent_alerts", "render",
]
