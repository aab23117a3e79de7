"""Who receives alerts: recipients from configuration (later also user accounts), by role."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from service.config.alerts import recipient_key
from service.config.settings import Settings


@dataclass(frozen=True)
class Recipient:
    """A person or group alerts go to; empty scopes mean every unit / every handling body."""

    key: str
    name: str
    roles: frozenset[str]
    email: str | None = None
    units: frozenset[str] = frozenset()
    handlers: frozenset[str] = frozenset()
    channels: tuple[str, ...] = ("email",)
    phone: str | None = None


@dataclass(frozen=True)
class Party:
    """What recipient matching needs of a dossier: its unit, handling body and clerk."""

    unit_code: str
    handler: str | None
    received_by: str | None


class RecipientSource(Protocol):
    """Anything that lists recipients: configuration today, user accounts with e-mail later."""

    def recipients(self) -> Iterable[Recipient]:
        """Every recipient this source knows."""
        ...


def normal(text: str | None) -> str:
    """Compare names as people write them: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


class ConfigRecipients:
    """Recipients listed under [[alerts.recipients]]."""

    def __init__(self, items: Iterable[Mapping[str, Any]]) -> None:
        self.items = [dict(item) for item in items]

    def recipients(self) -> Iterable[Recipient]:
        """Every configured recipient, with its key."""
        for item in self.items:
            yield Recipient(
                key=recipient_key(item), name=item["name"], roles=frozenset(item["roles"]),
                email=item.get("email"), units=frozenset(item.get("units", ())),
                handlers=frozenset(normal(h) for h in item.get("handlers", ())),
                channels=tuple(item.get("channels", ("email",))), phone=item.get("phone"))


class Directory:
    """Finds the recipients of a dossier's alert for a list of roles."""

    def __init__(self, *sources: RecipientSource) -> None:
        self.by_key: dict[str, Recipient] = {}
        for source in sources:
            for recipient in source.recipients():
                self.by_key.setdefault(recipient.key, recipient)

    @classmethod
    def from_settings(cls, settings: Settings) -> Directory:
        """The directory of the configured recipients."""
        return cls(ConfigRecipients(settings.alerts.recipients))

    def get(self, key: str) -> Recipient | None:
        """The recipient with this key, if it is still known."""
        return self.by_key.get(key)

    def __iter__(self) -> Iterable[Recipient]:
        return iter(self.by_key.values())

    def resolve(self, party: Party, roles: Iterable[str]) -> list[tuple[Recipient, str]]:
        """Recipients serving the dossier in any of roles, each once, with the first role."""
        found: dict[str, tuple[Recipient, str]] = {}
        for role in roles:
            for recipient in self.by_key.values():
                if recipient.key not in found and serves(recipient, role, party):
                    found[recipient.key] = (recipient, role)
        return list(found.values())


def serves(recipient: Recipient, role: str, party: Party) -> bool:
    """Whether recipient answers for this dossier in this role."""
    if role not in recipient.roles:
        return False
    if recipient.units and party.unit_code not in recipient.units:
        return False
    if role == "clerk":
        return bool(party.received_by) and normal(party.received_by) == normal(recipient.name)
    return not recipient.handlers or normal(party.handler) in recipient.handlers
