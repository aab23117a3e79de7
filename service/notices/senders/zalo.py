"""Zalo Notification Service (ZNS): template messages through the commune's Official Account.

As Zalo documents it: POST https://business.openapi.zalo.me/message/template with the OA's
access token in an `access_token` header and {phone: "84…", template_id, template_data,
tracking_id}; the answer is {error, message, data: {msg_id, sent_time, quota}}. Templates are
approved by Zalo beforehand, so which template and which value fills each of its parameters
is configuration. The access token lives 25 hours; a refresh token works once and is
exchanged at https://oauth.zaloapp.com/v4/oa/access_token (header `secret_key`, form
app_id, refresh_token, grant_type=refresh_token) for a new pair.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import requests

from service.notices.senders.base import (
    Outgoing,
    QuotaError,
    RecipientError,
    SendError,
    http_session,
    json_answer,
    read_secret,
)

# Zalo's ZNS error table: -124 the access token is invalid or expired; -115 the account is
# out of quota (balance); -144 the OA has used its daily quota.
TOKEN_INVALID = -124
OUT_OF_QUOTA = -115
DAILY_QUOTA = -144
# -108 phone number invalid; -114 the user is inactive or refuses ZNS; -118 no Zalo account
# for this number; -119 the account cannot receive ZNS: no retry reaches this citizen by Zalo.
UNREACHABLE = frozenset({-108, -114, -118, -119})
# Renew a little before the announced expiry rather than fail a send on it.
MARGIN = dt.timedelta(minutes=5)
# ZNS parameters hold at most 200 characters (the longest parameter type Zalo allows).
PARAM_LIMIT = 200


@dataclass(frozen=True)
class Token:
    """An access token and when Zalo said it expires."""

    access_token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Grant:
    """What the token endpoint answers: a new pair and the access token's lifetime."""

    access_token: str
    refresh_token: str
    lifetime: dt.timedelta


class TokenStore(Protocol):
    """Keeps the OA's tokens where every process finds them."""

    def current(self) -> Token | None:
        """The stored access token, if any."""
        ...

    def renew(self, stale: str | None, seed: str, exchange: Callable[[str], Grant],
              now: dt.datetime) -> Token:
        """A fresh token: exchange the stored refresh token (or the seed, if configuration
        gave a new one) unless another process renewed it since `stale` was read."""
        ...


class ZaloZns:
    """Sends ZNS template messages; kinds without a configured template are not supported."""

    name = "zalo_zns"

    def __init__(self, section: Mapping[str, Any], environ: Mapping[str, str],
                 store: TokenStore, zone: str = "Asia/Ho_Chi_Minh",
                 session: requests.Session | None = None) -> None:
        self.section, self.store, self.zone = section, store, ZoneInfo(zone)
        self.secret = read_secret(section["secret_key"], "notices.zalo_zns.secret_key", environ)
        self.seed = read_secret(section["refresh_token"], "notices.zalo_zns.refresh_token",
                                environ)
        self.session = session or http_session()

    def supports(self, kind: str) -> bool:
        """Whether Zalo approved a template for this kind (and configuration names it)."""
        return kind in self.section["templates"]

    def send(self, message: Outgoing, now: dt.datetime) -> str:
        """Send one template message; renew the token once when Zalo says it expired."""
        token = self.store.current()
        if token is None or token.expires_at - MARGIN <= now:
            token = self.store.renew(token.access_token if token else None, self.seed,
                                     self._exchange, now)
        body = self._post(token.access_token, message)
        if body.get("error") == TOKEN_INVALID:
            token = self.store.renew(token.access_token, self.seed, self._exchange, now)
            body = self._post(token.access_token, message)
        return self._read(body, now)

    def _post(self, access_token: str, message: Outgoing) -> dict[str, Any]:
        template = self.section["templates"][message.kind]
        data = {field: message.values.get(value, "")[:PARAM_LIMIT]
                for field, value in template["fields"].items()}
        payload = {"phone": "84" + message.phone, "template_id": template["template_id"],
                   "template_data": data, "tracking_id": message.request_id}
        try:
            response = self.session.post(self.section["send_url"], json=payload,
                                         headers={"access_token": access_token},
                                         timeout=self.section["timeout_s"])
        except requests.RequestException as exc:
            raise SendError(f"zalo_zns: {type(exc).__name__}") from None
        return json_answer(response, "zalo_zns")

    def _read(self, body: dict[str, Any], now: dt.datetime) -> str:
        error = body.get("error")
        said = f"zalo_zns: error {error} {body.get('message')}"
        if error == 0:
            return str((body.get("data") or {}).get("msg_id") or "")[:128]
        if error in UNREACHABLE:
            raise RecipientError(said)
        if error == DAILY_QUOTA:
            tomorrow = now.astimezone(self.zone).date() + dt.timedelta(days=1)
            raise QuotaError(said, dt.datetime.combine(tomorrow, dt.time(0), tzinfo=self.zone))
        if error == OUT_OF_QUOTA:
            raise QuotaError(said)
        raise SendError(said)

    def _exchange(self, refresh_token: str) -> Grant:
        """Trade a refresh token for a new access token and the next refresh token."""
        form = {"app_id": self.section["app_id"], "refresh_token": refresh_token,
                "grant_type": "refresh_token"}
        try:
            response = self.session.post(self.section["token_url"], data=form,
                                         headers={"secret_key": self.secret},
                                         timeout=self.section["timeout_s"])
        except requests.RequestException as exc:
            # The refresh may have gone through before the answer was lost; the old refresh
            # token is then used up and the OA must be authorised again if this repeats.
            raise SendError(f"zalo_zns token: {type(exc).__name__}") from None
        body = json_answer(response, "zalo_zns token")
        if not body.get("access_token") or not body.get("refresh_token"):
            raise SendError(f"zalo_zns token: error {body.get('error')} "
                            f"{body.get('error_name') or ''} {body.get('error_description') or ''}"
                            .strip())
        try:
            # Zalo writes expires_in as a string of seconds ("90000", 25 hours).
            lifetime = dt.timedelta(seconds=int(body.get("expires_in") or 0))
        except (TypeError, ValueError):
            lifetime = dt.timedelta(0)
        return Grant(str(body["access_token"]), str(body["refresh_token"]), lifetime)

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()
