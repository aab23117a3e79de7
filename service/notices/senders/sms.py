"""SMS through an HTTP brandname gateway described in configuration.

Vietnamese brandname providers each publish one HTTP call: eSMS.vn's SendMultipleMessage_V4
takes {ApiKey, SecretKey, Phone, Content, Brandname, SmsType, IsUnicode, RequestId} as JSON or
a query string and answers {"CodeResult": "100", "SMSID": …} on success; SpeedSMS's /sms/send
takes {to: [..], content, sms_type, sender} with the account token as the Basic-auth user and
answers {"status": "success", "code": "00", …}. So the call is configuration: URL, method,
a parameter template, credentials by reference, and patterns that read the answer.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import requests

from service.config.notices import PLACEHOLDER
from service.notices.phones import masked, written
from service.notices.senders.base import (
    Outgoing,
    QuotaError,
    RecipientError,
    SendError,
    answer_text,
    http_session,
    read_secret,
)

# Letters NFD does not split into a base letter and a mark, and punctuation outside the
# GSM 7-bit alphabet, which would turn the whole message into 70-character UCS-2 parts.
LETTERS = str.maketrans({"đ": "d", "Đ": "D", "–": "-", "—": "-", "…": "...", "“": '"',
                         "”": '"', "‘": "'", "’": "'"})


def without_diacritics(text: str) -> str:
    """Vietnamese text as brandname SMS is usually sent: "Hồ sơ đã – …" -> "Ho so da - ..."."""
    decomposed = unicodedata.normalize("NFD", text.translate(LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fit(text: str, limit: int) -> str:
    """The text cut to limit characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


class SmsGateway:
    """One configured gateway; the texts of every kind go through it."""

    name = "sms"

    def __init__(self, section: Mapping[str, Any], environ: Mapping[str, str],
                 session: requests.Session | None = None) -> None:
        self.section = section
        self.secrets = {name: read_secret(ref, f"notices.sms.secrets.{name}", environ)
                        for name, ref in section["secrets"].items()}
        self.where = f"sms {re.sub(r'^https?://', '', section['url']).split('/')[0]}"
        self.session = session or http_session()

    def supports(self, kind: str) -> bool:
        """Any text can go by SMS."""
        return True

    def send(self, message: Outgoing, now: dt.datetime) -> str:
        """Send one text; the answer decides success, quota, recipient or retry."""
        section = self.section
        text = message.text if section["diacritics"] else without_diacritics(message.text)
        values = {"phone": written(message.phone, section["phone_format"]),
                  "text": fit(text, section["max_length"]), "request_id": message.request_id}
        params = {k: self._fill(v, values) for k, v in section["params"].items()}
        request: dict[str, Any] = {
            "headers": {k: self._fill(v, values) for k, v in section["headers"].items()},
            "timeout": section["timeout_s"]}
        if section["basic_auth"]:
            user, _, password = self._fill(section["basic_auth"], values).partition(":")
            request["auth"] = (user, password)
        if section["method"] == "GET":
            request["params"] = params
        else:
            request["json" if section["body"] == "json" else "data"] = params
        try:
            response = self.session.request(section["method"], section["url"], **request)
        except requests.RequestException as exc:
            raise SendError(f"{self.where}: {type(exc).__name__}") from None
        return self._read(response)

    def _fill(self, value: Any, values: Mapping[str, str]) -> Any:
        """Put the request's values and the credentials into one template value."""
        if isinstance(value, list):
            return [self._fill(item, values) for item in value]
        if not isinstance(value, str):
            return value
        return PLACEHOLDER.sub(lambda m: self.secrets[m.group(2)] if m.group(1) == "secret"
                               else values[m.group(1)], value)

    def _read(self, response: requests.Response) -> str:
        """The provider's id on success; otherwise the error the patterns name."""
        section, text = self.section, response.text
        said = masked(answer_text(response))
        if 200 <= response.status_code < 300:
            if re.search(section["success"], text):
                return _message_id(response) or said[:128]
            if any(re.search(p, text) for p in section["duplicate"]):
                # The gateway already accepted this request id: an earlier try went through.
                return f"duplicate:{said[:100]}"
            if any(re.search(p, text) for p in section["quota"]):
                raise QuotaError(f"{self.where}: {said}")
            if any(re.search(p, text) for p in section["recipient_errors"]):
                raise RecipientError(f"{self.where}: {said}")
        raise SendError(f"{self.where}: HTTP {response.status_code} {said}")

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()


def _message_id(response: requests.Response) -> str | None:
    """The id a JSON answer gives under a usual name (eSMS SMSID, SpeedSMS tranId)."""
    try:
        body = response.json()
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    for holder in (body, data):
        if isinstance(holder, dict):
            for key in ("SMSID", "tranId", "msg_id", "id"):
                if holder.get(key) not in (None, ""):
                    return str(holder[key])[:128]
    return None
