"""Notices to citizens about their dossier by Zalo (ZNS) and SMS.

Flow: `collect` reads the history of the dossiers written since its last run and adds one
notice per dossier and event (received, supplement requested, apology with a new date,
result ready, refused) and one per answered complaint; `dispatch` sends those due in office
hours, after checking consent, opt-out and the phone number, on the first channel that can
reach the citizen, records every try, and retries failures with backoff. The senders know
nothing of Flask.
"""

from service.notices.delivery import NoticeReport, dispatch
from service.notices.events import collect
from service.notices.policy import NoticePolicy
from service.notices.record import (
    DossierNotices,
    NoticeRecord,
    complaint_notices,
    notices_of,
    opt_out,
    opt_out_proven,
)

__all__ = ["DossierNotices", "NoticePolicy", "NoticeRecord", "NoticeReport", "collect",
           "complaint_notices", "dispatch", "notices_of", "opt_out", "opt_out_proven"]
