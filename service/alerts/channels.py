"""Delivery channels: e-mail over SMTP, a JSON webhook, and SMS or Zalo through the notice
senders; each raises DeliveryError only."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Protocol
from urllib.parse import urlsplit

import requests

from service.alerts.messages import Rendered
from service.alerts.recipients import Recipient
from service.config.credentials import read_secret
from service.config.notices import configured_channels
from service.config.settings import AlertsSettings, NoticesSettings
from service.notices.phones import mobile_number
from service.notices.senders import Outgoing, QuotaError, RecipientError, Sender, SendError


class DeliveryError(Exception):
    """A channel could not deliver a message; the text names the channel and the reason."""


class Channel(Protocol):
    """Sends rendered messages to recipients."""

    name: str

    def send(self, recipient: Recipient, message: Rendered) -> None:
        """Deliver the message or raise DeliveryError."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class EmailChannel:
    """SMTP with optional STARTTLS and login; one connection reused for a dispatch run."""

    name = "email"

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False,
                 username: str = "", password: str = "", timeout: float = 20.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, recipient: Recipient, message: Rendered) -> None:
        """Send one multipart (plain text + HTML) e-mail."""
        if not recipient.email:
            raise DeliveryError(f"email: recipient {recipient.key} has no address")
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = formataddr((recipient.name, recipient.email))
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain="tthc-monitor")
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        try:
            self._connection().send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"email via {self.host}:{self.port}: {exc}") from None

    def verify(self) -> None:
        """Connect, STARTTLS and log in as configured, then leave: no mail is sent."""
        try:
            self._connection()
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"email via {self.host}:{self.port}: {exc}") from None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        """Say goodbye to the server, ignoring a connection that is already gone."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


class WebhookChannel:
    """POST the message as JSON (e.g. to a chat bot); any non-2xx answer is a failure."""

    name = "webhook"

    def __init__(self, url: str, *, token: str = "", timeout: float = 10.0) -> None:
        self.url, self.token, self.timeout = url, token, timeout
        # Errors name the host only: chat-bot URLs often carry their secret in the path.
        self.where = urlsplit(url).netloc
        self.session = requests.Session()

    def send(self, recipient: Recipient, message: Rendered) -> None:
        """Post one message with its recipient."""
        body = {**message.payload, "recipient": {"key": recipient.key, "name": recipient.name}}
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            answer = self.session.post(self.url, json=body, headers=headers,
                                       timeout=self.timeout)
        except requests.RequestException as exc:
            raise DeliveryError(f"webhook {self.where}: {type(exc).__name__}") from None
        if not 200 <= answer.status_code < 300:
            raise DeliveryError(f"webhook {self.where}: HTTP {answer.status_code}")

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()


class TextChannel:
    """SMS or Zalo through a notice sender: the subject as a short text, the values for a
    ZNS "alert" template (subject, count, code, text)."""

    def __init__(self, sender: Sender, now: dt.datetime) -> None:
        self.sender, self.name, self.now = sender, sender.name, now

    def send(self, recipient: Recipient, message: Rendered) -> None:
        """Send the alert to the recipient's mobile phone."""
        phone = mobile_number(recipient.phone)
        if phone is None:
            raise DeliveryError(f"{self.name}: recipient {recipient.key} has no mobile number")
        items = message.payload.get("items") or []
        text = f"{message.subject}. Chi tiết trong hệ thống theo dõi hồ sơ TTHC."
        values = {"subject": message.subject, "count": str(len(items)),
                  "code": str(items[0]["code"]) if items else "", "text": text}
        try:
            self.sender.send(Outgoing("alert", phone, text, values), self.now)
        except (SendError, QuotaError, RecipientError) as exc:
            raise DeliveryError(str(exc)) from None

    def close(self) -> None:
        """Release the sender's connections."""
        self.sender.close()


def build_channels(section: AlertsSettings, environ: Mapping[str, str],
                   senders: Mapping[str, Sender] | None = None,
                   now: dt.datetime | None = None) -> dict[str, Channel]:
    """The channels [alerts] turns on; secrets come from the files or variables it names.

    SMS and Zalo come from the notice senders given (built from [notices]), for the run at
    `now` (a Zalo token's expiry is judged against it).
    """
    channels: dict[str, Channel] = {
        name: TextChannel(sender, now) for name, sender in (senders or {}).items()
        if now is not None and sender.supports("alert")}
    email = section.email
    if email["host"]:
        channels["email"] = EmailChannel(
            email["host"], email["port"], email["sender"], starttls=email["starttls"],
            username=email["username"], password=read_secret(email, "password", environ),
            timeout=email["timeout_s"])
    webhook = section.webhook
    if webhook["url"]:
        channels["webhook"] = WebhookChannel(
            webhook["url"], token=read_secret(webhook, "token", environ),
            timeout=webhook["timeout_s"])
    return channels


def active_channels(section: AlertsSettings,
                    notices: NoticesSettings | None = None) -> frozenset[str]:
    """The names of the channels [alerts] (and [notices] for SMS, Zalo) turn on."""
    texting = set()
    if notices is not None:
        texting = {name for name in configured_channels(notices)
                   if name != "zalo_zns" or "alert" in notices.zalo_zns["templates"]}
    return frozenset(texting | {name for name, on in (("email", section.email["host"]),
                                                      ("webhook", section.webhook["url"]))
                                if on})
