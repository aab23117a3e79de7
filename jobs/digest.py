"""Job: the daily digest, at [alerts] digest_at on working days.

Any dispatch run after digest time creates the day's digests (once each, by a unique row);
this job only makes sure they go out at that time even when the alerts job runs rarely.
"""

from __future__ import annotations

import datetime as dt

from jobs import alerts
from service.alerts import DeliveryReport
from service.runtime import Runtime


def run(runtime: Runtime, now: dt.datetime) -> DeliveryReport | None:
    """Create today's digests if due, and send everything due with them."""
    return alerts.run(runtime, now)
