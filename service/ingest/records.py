"""Canonical records before they are stored: checks, fingerprints, ordering, counts."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from connectors.base import FIELD_LABELS, DossierRecord, SupplementRecord
from service.models import Procedure
from service.vocabulary import Channel, Status

NATIONAL_CODE = re.compile(r"^\d\.\d{6}")
LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Column widths of the dossier row; a longer value is a rejected record, not a failed batch.
MAX_LENGTHS = {
    "code": 64, "source_id": 128, "applicant_name": 255, "source_applicant_name": 255,
    "applicant_id_no": 32,
    "applicant_phone": 32, "applicant_email": 255, "handler": 255, "received_by": 255,
    "source_status": 64, "source_sub_status": 64, "unit_code": 64, "procedure_code": 64,
}
INSTANT_FIELDS = ("received_at", "filed_at", "source_due_at", "finished_at", "returned_at",
                  "stopped_at", "source_modified_at")
_INSTANTS = operator.attrgetter(*INSTANT_FIELDS)
NO_CODE = f"«{FIELD_LABELS['code']}» để trống, cần mã hồ sơ in trên giấy tiếp nhận"
_TEXTS = operator.attrgetter(*MAX_LENGTHS)


class RecordError(ValueError):
    """A record that cannot be stored; the reason, in Vietnamese, is shown to clerks."""


@dataclass
class IngestStats:
    """Counts of one batch or one run."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: IngestStats) -> None:
        """Accumulate another batch's counts."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


@dataclass
class Catalogue:
    """Units and procedures by code, shared by the batches of one run to spare a query each."""

    units: dict[str, int] = field(default_factory=dict)
    procedures: dict[str, Procedure] = field(default_factory=dict)
    loaded: bool = False


def national_code(code: str) -> str:
    """Strip a province suffix: 1.001193.000.00.00.H26 -> 1.001193."""
    match = NATIONAL_CODE.match(code.strip())
    return match.group(0) if match else code.strip()


def fingerprint(record: DossierRecord) -> str:
    """Return a stable digest of everything a record says.

    The digest hashes the repr of a plain tuple of the record's values, enums by their codes:
    tuples, strings and datetimes print in C, where the dataclasses' own reprs run in Python
    and made this a tenth of the ingest time.
    """
    values: tuple[Any, ...] = (
        _PLAIN_VALUES(record), tuple(map(_code, _ENUM_VALUES(record))),
        tuple((e.at, _code(e.status), e.actor, e.department, e.note) for e in record.events),
        tuple(_ROUND_VALUES(item) for item in record.supplements))
    if record.notice_consent is not None:
        # Only when given: the print of every record stored before the field existed stays
        # the same, so adding it did not make each dossier look changed to the next ingest.
        values += (record.notice_consent,)
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def _code(member: Any) -> Any:
    """An enum member's code; anything else (a record not checked yet) as it is."""
    return getattr(member, "_value_", member)


_ENUM_FIELDS = tuple(f.name for f in fields(DossierRecord)
                     if f.name in ("channel", "status", "limit_unit"))
_PLAIN_VALUES = operator.attrgetter(*(
    f.name for f in fields(DossierRecord)
    if f.name not in _ENUM_FIELDS + ("events", "supplements", "notice_consent")))
_ENUM_VALUES = operator.attrgetter(*_ENUM_FIELDS)
_ROUND_VALUES = operator.attrgetter(*(f.name for f in fields(SupplementRecord)))


def new_lookup_secret() -> str:
    """Draw the secret printed on the receipt for the citizen lookup."""
    # One system call per secret; 256 is a multiple of the 32 letters, so no letter is favoured.
    return "".join(LOOKUP_ALPHABET[byte % 32] for byte in secrets.token_bytes(8))


def check_record(record: DossierRecord) -> None:
    """Raise RecordError when a record's values cannot go into a dossier row."""
    if not isinstance(record.code, str) or not record.code.strip():
        raise RecordError(NO_CODE)
    if not isinstance(record.status, Status):
        raise RecordError(f"«{FIELD_LABELS['status']}» {record.status!r} không phải mã trạng "
                          "thái của Cổng Dịch vụ công quốc gia (1–10)")
    if not isinstance(record.channel, Channel):
        raise RecordError(f"«{FIELD_LABELS['channel']}» {record.channel!r} không phải mã hình "
                          "thức nộp (1 trực tiếp, 2 trực tuyến, 3 bưu chính)")
    if not isinstance(record.applicant_name, str) or not record.applicant_name.strip():
        raise RecordError(f"«{FIELD_LABELS['applicant_name']}» để trống, cần tên người nộp hồ sơ")
    for name, value in zip(INSTANT_FIELDS, _INSTANTS(record), strict=True):
        if value is None and name != "received_at":
            continue
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise RecordError(f"«{FIELD_LABELS[name]}» ({name}) phải là ngày giờ kèm múi giờ")
    for (name, limit), value in zip(MAX_LENGTHS.items(), _TEXTS(record), strict=True):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise RecordError(f"«{FIELD_LABELS[name]}» ({name}) phải là văn bản dài tối đa "
                              f"{limit} ký tự")
    if record.notice_consent not in (None, True, False):
        raise RecordError("«Đồng ý nhận thông báo» (notice_consent) phải là true, false "
                          "hoặc bỏ trống")
    for event in record.events:
        if not isinstance(event.status, Status) or event.at.tzinfo is None:
            raise RecordError(f"dòng lịch sử lúc {event.at} có trạng thái hoặc thời điểm "
                              "không hợp lệ")


def latest_by_code(records: Sequence[DossierRecord],
                    reject: Callable[[DossierRecord, str], None]) -> dict[str, DossierRecord]:
    """Keep the newest record of each code in the batch; codeless records are rejected."""
    latest: dict[str, DossierRecord] = {}
    for record in records:
        if not isinstance(record.code, str) or not record.code.strip():
            reject(record, NO_CODE)
            continue
        kept = latest.get(record.code)
        if kept is None or newer(record, kept):
            latest[record.code] = record
    return latest


def merge_rounds(stored: Sequence[SupplementRecord], given: Sequence[SupplementRecord]
                  ) -> tuple[SupplementRecord, ...]:
    """Stored rounds completed by what the record says; a source may report only the latest."""
    by_start = {item.requested_at: item for item in stored}
    for item in given:
        kept = by_start.get(item.requested_at)
        if kept is None or (kept.completed_at is None and item.completed_at is not None):
            by_start[item.requested_at] = item
    return tuple(sorted(by_start.values(), key=lambda item: item.requested_at))


def newer(record: DossierRecord, other: DossierRecord) -> bool:
    if record.source_modified_at is None or other.source_modified_at is None:
        return True
    return record.source_modified_at >= other.source_modified_at


def stale(record: DossierRecord, row: Any) -> bool:
    """True when the stored state is newer than the record (an out-of-order delivery)."""
    return (record.source_modified_at is not None and row.source_modified_at is not None
            and record.source_modified_at < row.source_modified_at)


def payload_summary(record: DossierRecord) -> dict[str, Any]:
    """The record as JSON-safe data for quarantine, without the applicant's personal data."""
    keep = ("code", "unit_code", "procedure_code", "procedure_name", "domain_name", "status",
            "received_at", "source_id", "source_modified_at")
    return {key: str(getattr(record, key)) for key in keep}
