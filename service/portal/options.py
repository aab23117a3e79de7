"""The [portal] settings as the mirror's domain functions take them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from service.config.settings import Settings
from service.models import Dossier

# The portal's variant of a national procedure code: 1.001193 -> 1.001193.000.00.00.H26.
VARIANT_MIDDLE = ".000.00.00."


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for one dossier's transient failures."""

    base_seconds: int = 60
    max_seconds: int = 6 * 3600
    jitter: float = 0.5
    max_consecutive_failures: int = 3

    def delay(self, attempts: int, rng: random.Random) -> dt.timedelta:
        """The wait before attempt `attempts + 1`: base·2^(attempts−1), capped, jittered down."""
        exponent = min(max(attempts - 1, 0), 32)
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** exponent)
        return dt.timedelta(seconds=ceiling * (1 - self.jitter * rng.random()))


@dataclass(frozen=True)
class PortalOptions:
    """What the payload builder and the sync need from the configuration."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    mode: str = "record"
    units: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    paid_online_code: str = "1"
    default_actor: str = "Cán bộ một cửa"
    not_required: tuple[Mapping[str, Any], ...] = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    batch_size: int = 200
    rescan_overlap: dt.timedelta = dt.timedelta(hours=1)
    reconcile_sample: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> PortalOptions:
        """Build the options from the typed configuration."""
        portal, retry = settings.portal, settings.portal.retry
        return cls(
            zone=ZoneInfo(settings.timezone), mode=portal.mode, units=portal.units,
            paid_online_code=portal.paid_online_code, default_actor=portal.default_actor,
            not_required=portal.not_required,
            retry=RetryPolicy(retry.base_seconds, retry.max_seconds, retry.jitter,
                              retry.max_consecutive_failures),
            batch_size=portal.batch_size,
            rescan_overlap=dt.timedelta(minutes=portal.rescan_overlap_minutes),
            reconcile_sample=portal.reconcile_sample,
        )

    def madonvi(self, unit_code: str) -> str:
        """The agency identifier the portal knows a unit by (default: the unit's own code)."""
        return (self.units.get(unit_code) or {}).get("madonvi") or unit_code

    def procedure_code(self, national: str, unit_code: str) -> str:
        """The province's variant of a procedure code, as the portal's MaTTHC expects it."""
        suffix = (self.units.get(unit_code) or {}).get("procedure_suffix")
        if suffix is None:
            province = self.madonvi(unit_code).rsplit(".", 1)[-1]
            suffix = f"{VARIANT_MIDDLE}{province}"
        if not suffix or national.endswith(suffix) or national.count(".") > 1:
            return national
        return f"{national}{suffix}"

    def not_required_reason(self, dossier: Dossier) -> str | None:
        """The reason of the first not-required rule the dossier matches, if any."""
        for rule in self.not_required:
            if _matches(rule, dossier, self.zone):
                return str(rule["reason"])
        return None

    @property
    def rules_key(self) -> str:
        """A digest of the not-required rules: when it changes every dossier is re-examined."""
        # Plain dicts: the typed settings hold read-only mappings, which json would write
        # through default=str and so change the digest of unchanged rules.
        text = json.dumps([dict(rule) for rule in self.not_required], sort_keys=True,
                          default=str)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _matches(rule: Mapping[str, Any], dossier: Dossier, zone: ZoneInfo) -> bool:
    if rule.get("procedures") and dossier.procedure.code not in rule["procedures"]:
        return False
    if rule.get("units") and dossier.unit.code not in rule["units"]:
        return False
    if rule.get("channels") and dossier.channel.value not in rule["channels"]:
        return False
    before = rule.get("received_before")
    return not (before and dossier.received_at.astimezone(zone).date() >= before)
