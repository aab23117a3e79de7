"""Builders of test data shared by many test modules: canonical records and their storing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.base import DossierRecord, EventRecord
from service.ingest import Ingestor
from service.runtime import Runtime
from service.vocabulary import Channel, LimitUnit, Status
from tests.conftest import UNIT_CODE


def record(code: str, received: dt.datetime, status: Status = Status.PROCESSING,
           modified: dt.datetime | None = None, **extra: Any) -> DossierRecord:
    """A dossier for a 3-working-day procedure, handled by the commune's justice officer."""
    values: dict[str, Any] = dict(
        code=code, unit_code=UNIT_CODE, procedure_code="1.004873",
        procedure_name="Cấp Giấy xác nhận tình trạng hôn nhân", domain_name="Hộ tịch",
        applicant_name="Nguyễn Văn Bình", applicant_phone="0912345678",
        applicant_id_no="010203004567", channel=Channel.DIRECT, received_at=received,
        status=status, source_id=code, source_modified_at=modified or received,
        limit_value=3, limit_unit=LimitUnit.WORKING_DAYS, unit_name="UBND xã Thanh Miện",
        handler="Công chức Tư pháp - Hộ tịch", received_by="Lê Thị Cúc",
        events=(EventRecord(received, Status.ACCEPTED),))
    values.update(extra)
    return DossierRecord(**values)


def ingest(runtime: Runtime, now: dt.datetime, *records: DossierRecord,
           source: str = "test") -> None:
    """Store records as the ingest job does, stamping them at now."""
    with runtime.sessions.begin() as session:
        Ingestor(session, source, runtime.derive).store(list(records), now)
