"""Job: the daily digest, at [alerts] digest_at on working days.

The first dispatch run after digest time on a working day prepares the day's digests (once:
a claim in scan_state and a unique row per recipient, channel and day); this job only makes
sure that run happens at that time even when the alerts job runs rarely.
"""

from __future__ import annotations

import datetime as dt

from jobs import alerts
from service.alerts import DeliveryReport
from service.runtime import Runtime


def run(runtime: Runtime, now: dt.datetime) -> DeliveryReport | None:
    """Create today's digests if due, and send everything due with them."""
    return alerts.run(runtime, now)
