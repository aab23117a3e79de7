"""Dossier-level domain rules: the deadline columns stored with each dossier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from connectors.base import SupplementRecord
from service.ingest import Deriver
from service.models import Procedure


def make_deriver(settings: dict[str, Any]) -> Deriver:
    """Return the function that fills a dossier's deadline columns during ingestion."""

    def derive(values: dict[str, Any], procedure: Procedure,
               supplements: Sequence[SupplementRecord], now: dt.datetime) -> None:
        values["due_at"] = values.get("extension_due_at") or values.get("source_due_at")

    return derive
