"""Channel senders: SMS through an HTTP gateway and Zalo ZNS; plain requests, no Flask.

Each raises SendError (try again later), QuotaError (the provider's quota is used up) or
RecipientError (this phone cannot be reached on this channel).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session, sessionmaker

from service.config.settings import NoticesSettings
from service.notices.senders.base import (
    Outgoing,
    QuotaError,
    RecipientError,
    Sender,
    SendError,
    SetupError,
)
from service.notices.senders.sms import SmsGateway, without_diacritics
from service.notices.senders.tokens import DatabaseTokens
from service.notices.senders.zalo import ZaloZns

__all__ = ["DatabaseTokens", "Outgoing", "QuotaError", "RecipientError", "SendError", "Sender",
           "SetupError", "SmsGateway", "ZaloZns", "build_senders", "without_diacritics"]


def build_senders(section: NoticesSettings, environ: Mapping[str, str],
                  sessions: sessionmaker[Session], zone: str) -> dict[str, Sender]:
    """The senders [notices] sets up, keyed by channel; SetupError names a missing credential."""
    senders: dict[str, Sender] = {}
    if section.zalo_zns["app_id"]:
        store = DatabaseTokens(sessions, f"zalo_zns:{section.zalo_zns['app_id']}")
        senders["zalo_zns"] = ZaloZns(section.zalo_zns, environ, store, zone)
    if section.sms["url"]:
        senders["sms"] = SmsGateway(section.sms, environ)
    return senders
