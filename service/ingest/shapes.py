"""How a quarantined item's payload holds a record's fields, read into a form and written back.

A canonical payload (a record refused by the ingest path, or one pushed by a webhook) names
the fields as `DossierRecord` does, with ISO instants and portal codes. A spreadsheet row keeps
its cells under the file's own headers, as the clerk saw them; a corrected value goes back
under the same header, so the connector re-reads the row exactly as it reads a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from connectors.base import Connector
from connectors.spreadsheet.headers import DEFAULT_COLUMNS, fold
from connectors.spreadsheet.rows import cell_text
from service.models import QuarantinedRecord
from service.vocabulary import Channel, Status

CANONICAL = frozenset({"code", "procedure_code", "applicant_name", "status", "channel",
                       "received_at", "source_due_at", "finished_at", "returned_at", "handler",
                       "filed_at", "source_modified_at"})
MOMENTS = frozenset({"received_at", "source_due_at", "finished_at", "returned_at", "filed_at",
                     "source_modified_at"})
CODED = {"status": Status, "channel": Channel}
# The spreadsheet reader's name for a field, where it differs from the record's.
SHEET_NAMES = {"source_modified_at": "modified_at"}
Instant = Callable[["Moment", str], dt.datetime]


@dataclass(frozen=True)
class Moment:
    """A date a clerk typed, with the time of day when one was given."""

    day: dt.date
    clock: dt.time | None = None

    def text(self) -> str:
        """As clerks write it: 05/03/2026, or 05/03/2026 08:15."""
        return f"{self.day:%d/%m/%Y}" + (f" {self.clock:%H:%M}" if self.clock else "")


class Shape(Protocol):
    """Reads a payload's fields as form text and writes checked values back into a copy."""

    names: frozenset[str]

    def read(self, payload: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """Values as text by field, and hints saying what the source wrote where translated."""

    def write(self, payload: dict[str, Any], parsed: dict[str, Any], texts: dict[str, str],
              instant: Instant) -> dict[str, Any]:
        """A copy of the payload holding the checked values."""

    def set_name(self, payload: dict[str, Any], name: str) -> None:
        """Put the procedure's catalogue name where the payload keeps one."""


def shape_of(item: QuarantinedRecord, connector: Connector | None, zone: ZoneInfo
             ) -> Shape | None:
    """The shape of an item's payload, or None when the form cannot edit it."""
    kind = getattr(connector, "type_name", None)
    if item.kind == "record" or kind == "webhook":
        return CanonicalShape(zone)
    if kind == "spreadsheet" and "_row" in item.payload:
        return SheetShape(connector)
    return None


class CanonicalShape:
    """Fields by their record names; instants in ISO 8601 with offset, statuses as codes."""

    names = CANONICAL

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def read(self, payload: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """Instants shown in the office's zone as dd/mm/yyyy hh:mm."""
        values, hints = {}, {}
        for name in self.names:
            value = payload.get(name)
            if value in (None, ""):
                continue
            if name in MOMENTS:
                try:
                    moment = dt.datetime.fromisoformat(str(value))
                except ValueError:
                    hints[name] = f"Dữ liệu gốc: «{value}»"
                    continue
                if moment.tzinfo is None:  # offered as office time, for the clerk to confirm
                    hints[name] = f"Dữ liệu gốc: «{value}» (không ghi múi giờ)"
                else:
                    moment = moment.astimezone(self.zone)
                values[name] = f"{moment:%d/%m/%Y %H:%M}"
            else:
                values[name] = str(value)
        return values, hints

    def write(self, payload: dict[str, Any], parsed: dict[str, Any], texts: dict[str, str],
              instant: Instant) -> dict[str, Any]:
        """Instants as ISO 8601 with the office's offset, statuses and channels as codes."""
        written = dict(payload)
        for name, value in parsed.items():
            if isinstance(value, Moment):
                value = instant(value, name).isoformat()
            elif name in CODED and value is not None:
                value = value.value
            written[name] = value
        return written

    def set_name(self, payload: dict[str, Any], name: str) -> None:
        """Records carry the procedure's name beside its code."""
        payload["procedure_name"] = name


class SheetShape:
    """A spreadsheet row: cells under the file's headers, read by the connector's own reader."""

    names = CANONICAL | {"limit_days"}

    def __init__(self, connector: Any) -> None:
        self.options = connector.options
        self.known: dict[str, str] = connector.reader.known
        parser = connector.reader.parser
        self.words = {"status": parser.statuses, "channel": parser.channels}

    def headers(self, payload: dict[str, Any]) -> dict[str, str]:
        """The header each field of the row sits under (the first one, as the reader does)."""
        found: dict[str, str] = {}
        for header in payload:
            field = self.known.get(fold(header)) if not header.startswith("_") else None
            if field is not None:
                found.setdefault(field, header)
        return found

    def read(self, payload: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """Cells as text; status and channel words as the codes they map to."""
        values, hints = {}, {}
        headers = self.headers(payload)
        for name in self.names:
            header = headers.get(SHEET_NAMES.get(name, name))
            value = payload.get(header) if header else None
            text = cell_text(value) if value not in (None, "") else ""
            if name in CODED and text:
                code = self._code(name, text)
                values[name] = "" if code is None else str(code)
                if str(code) != text:
                    hints[name] = f"Trong tệp: «{text}»"
            elif text:
                values[name] = text
        if "channel" not in values:
            values["channel"] = str(self.options["default_channel"])
        return values, hints

    def _code(self, name: str, text: str) -> int | None:
        code = self.words[name].get(fold(text))
        if code is None and text.isdigit() and int(text) in {m.value for m in CODED[name]}:
            code = int(text)
        return code

    def write(self, payload: dict[str, Any], parsed: dict[str, Any], texts: dict[str, str],
              instant: Instant) -> dict[str, Any]:
        """Each value under the field's header (a default header when the file had none)."""
        written, headers = dict(payload), self.headers(payload)
        for name, value in parsed.items():
            field = SHEET_NAMES.get(name, name)
            header = headers.get(field) or DEFAULT_COLUMNS[field][0]
            if value is None:
                if header in written:
                    written[header] = None
                continue
            if isinstance(value, Moment):
                value = value.text()
            elif name in CODED:
                value = self._word(name, value, written.get(header))
            written[header] = value
        return written

    def _word(self, name: str, member: Any, before: Any) -> str:
        """The file's own word when it still means this code, else the label, else the code."""
        words = self.words[name]
        if before not in (None, "") and words.get(fold(cell_text(before))) == member.value:
            return cell_text(before)
        return member.label if words.get(fold(member.label)) == member.value else \
            str(member.value)

    def set_name(self, payload: dict[str, Any], name: str) -> None:
        """Only a row that has a procedure-name column gets the catalogue's name."""
        header = self.headers(payload).get("procedure_name")
        if header is not None:
            payload[header] = name
