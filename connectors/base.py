"""The connector contract: canonical records, batches with cursors, and the one error type."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from marshmallow import Schema

from service.vocabulary import Channel, LimitUnit, Status

# Vietnamese names of the canonical fields, for reasons clerks read (quarantine, summaries).
FIELD_LABELS: dict[str, str] = {
    "code": "Mã hồ sơ", "unit_code": "Mã đơn vị", "unit_name": "Tên đơn vị",
    "procedure_code": "Mã thủ tục", "procedure_name": "Tên thủ tục", "domain_name": "Lĩnh vực",
    "domain_code": "Mã lĩnh vực", "applicant_name": "Chủ hồ sơ",
    "applicant_id_no": "Số giấy tờ tùy thân", "applicant_phone": "Số điện thoại",
    "applicant_email": "Thư điện tử", "applicant_type": "Loại người nộp",
    "channel": "Hình thức nộp", "filed_at": "Ngày nộp", "received_at": "Ngày tiếp nhận",
    "source_due_at": "Ngày hẹn trả", "status": "Trạng thái", "finished_at": "Ngày có kết quả",
    "returned_at": "Ngày trả kết quả", "stopped_at": "Ngày dừng xử lý",
    "source_modified_at": "Ngày cập nhật", "handler": "Cơ quan giải quyết",
    "received_by": "Người tiếp nhận", "summary": "Trích yếu", "limit_value": "Thời hạn giải quyết",
    "limit_unit": "Đơn vị thời hạn", "source_id": "Mã hồ sơ ở hệ thống nguồn",
    "source_status": "Trạng thái ở hệ thống nguồn",
    "source_sub_status": "Trạng thái phụ ở hệ thống nguồn",
}


class ConnectorError(Exception):
    """A fault talking to or reading an external system; the message names system and record."""


class InputError(ConnectorError):
    """Input a person handed over cannot be read (a damaged file); theirs to fix, not a fault."""


@dataclass(frozen=True)
class EventRecord:
    """One history line as the source reports it."""

    at: dt.datetime
    status: Status
    actor: str | None = None
    department: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class SupplementRecord:
    """One supplementation round: requested, and completed once the papers arrive."""

    requested_at: dt.datetime
    completed_at: dt.datetime | None = None
    note: str | None = None


@dataclass(frozen=True)
class DossierRecord:
    """A dossier in canonical form; instants are timezone-aware."""

    code: str
    unit_code: str
    procedure_code: str
    procedure_name: str
    domain_name: str
    # The name to show; `source_applicant_name` keeps the source's own spelling when it differs.
    applicant_name: str
    channel: Channel
    received_at: dt.datetime
    status: Status
    source_id: str
    source_modified_at: dt.datetime | None = None
    domain_code: str | None = None
    limit_value: int | None = None
    limit_unit: LimitUnit | None = None
    unit_name: str | None = None
    summary: str | None = None
    source_applicant_name: str | None = None
    applicant_id_no: str | None = None
    applicant_phone: str | None = None
    applicant_email: str | None = None
    applicant_type: int = 1
    handler: str | None = None
    received_by: str | None = None
    filed_at: dt.datetime | None = None
    source_due_at: dt.datetime | None = None
    source_status: str | None = None
    source_sub_status: str | None = None
    finished_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    fee_due: bool = False
    paid_online: bool = False
    digitized: bool = False
    electronic_result: bool = False
    # The applicant's consent to notices by SMS or Zalo, where the source records it.
    notice_consent: bool | None = None
    events: tuple[EventRecord, ...] = ()
    supplements: tuple[SupplementRecord, ...] = ()


@dataclass(frozen=True)
class RejectedRecord:
    """A source item that could not be turned into a DossierRecord, kept for quarantine."""

    payload: Mapping[str, Any]
    reason: str
    source_id: str | None = None


@dataclass(frozen=True)
class WriteScope:
    """What a sender outside the office may write (a webhook): anyone holding its credentials
    can send anything, so its reach is limited to what the operator configured for it.

    Only dossiers of `units` (which must already exist: units come from the configuration),
    only new dossiers or those this source stored before, and no `source_modified_at` later
    than the server's clock plus `clock_skew` (a future stamp would make every later, correct
    update look older and be ignored).
    """

    units: frozenset[str]
    clock_skew: dt.timedelta


@dataclass
class Batch:
    """A unit of work: records to store in one transaction, and the cursor to keep after it."""

    records: list[DossierRecord | RejectedRecord] = field(default_factory=list)
    cursor: dict[str, Any] | None = None


class Connector(ABC):
    """Base class of every connector: configured by name and options, yields batches."""

    type_name: ClassVar[str]
    options_schema: ClassVar[type[Schema]]
    # A connector that needs the office's working calendar takes it as `calendar=`.
    uses_calendar: ClassVar[bool] = False

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.options = self.options_schema().load(dict(options))
        # Things a run should tell an administrator although nothing failed (Vietnamese).
        self.warnings: list[str] = []

    @abstractmethod
    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        """Yield batches of records changed since the cursor, each with the cursor after it."""

    def write_scope(self) -> WriteScope | None:
        """The limits on what this connector may write; None: a source the office pulls from
        and trusts (it may add units it names)."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook; most connectors hold nothing
        """Release network sessions or files; the default has nothing to release."""
