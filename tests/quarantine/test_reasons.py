"""Reasons clerks read beside quarantined records: Vietnamese, naming the field and what was
expected, whether the deadline engine refused the dates or an admin's JSON is malformed."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.orm import Session

from connectors.base import DossierRecord, SupplementRecord
from service.ingest import Ingestor
from service.ingest.quarantine import record_from_payload, record_payload
from service.models import Procedure
from service.runtime import Runtime
from service.vocabulary import Channel, LimitUnit, Status
from tests.conftest import UNIT_CODE, local

RECORD = DossierRecord(
    code=f"{UNIT_CODE}-260302-0001", unit_code=UNIT_CODE, procedure_code="1.004873",
    procedure_name="Cấp Giấy xác nhận tình trạng hôn nhân", domain_name="Hộ tịch",
    applicant_name="Phạm Văn Nam", channel=Channel.DIRECT, received_at=local(2026, 3, 2, 9),
    status=Status.WAITING_SUPPLEMENT, source_id="1")


@pytest.mark.parametrize("rounds,reason", [
    ((SupplementRecord(local(2026, 3, 1, 9)),),
     "lần yêu cầu bổ sung thứ 1 có ngày yêu cầu trước bước trước đó (ngày tiếp nhận hoặc lần "
     "bổ sung trước)"),
    ((SupplementRecord(local(2026, 3, 3, 9)), SupplementRecord(local(2026, 3, 4, 9))),
     "lần yêu cầu bổ sung thứ 1 chưa có ngày hoàn thành nhưng đã có lần sau"),
    ((SupplementRecord(local(2026, 3, 3, 9), local(2026, 3, 3, 8)),),
     "lần yêu cầu bổ sung thứ 1 có ngày hoàn thành trước ngày yêu cầu"),
])
def test_the_deadline_engines_refusals_are_given_in_vietnamese(
        runtime: Runtime, session: Session, rounds: tuple[SupplementRecord, ...],
        reason: str) -> None:
    session.add(Procedure(code="1.004873", name="x", domain_name="Hộ tịch", limit_value=3,
                          limit_unit=LimitUnit.WORKING_DAYS))
    session.flush()
    ingestor = Ingestor(session, "sim", runtime.derive)
    ingestor.store([dataclasses.replace(RECORD, supplements=rounds)], local(2026, 3, 10, 9))
    assert [text for _, text in ingestor.rejects] == [reason]


@pytest.mark.parametrize("change,reason", [
    ({"status": 11}, "«Trạng thái» (status): 11 không phải mã hợp lệ (1, 2, 3, 4, 5, 6, 7, 8, 9, "
                     "10)"),
    ({"received_at": "2026-03-02 09:00"},
     "«Ngày tiếp nhận» (received_at): «2026-03-02 09:00» không phải ngày giờ ISO 8601 kèm múi "
     "giờ (vd. 2026-03-02T09:00:00+07:00)"),
    ({"code": None, "ma_ho_so": "1"},
     "thiếu trường «Mã hồ sơ» (code); trường lạ «ma_ho_so» (các trường của bản ghi: code, "
     "status, received_at…)"),
])
def test_a_malformed_record_payload_names_the_field_and_what_was_expected(
        change: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        record_from_payload({**record_payload(RECORD), **change})
    assert str(refused.value) == reason


def test_a_record_payload_rebuilds_the_same_record() -> None:
    assert record_from_payload(record_payload(RECORD)) == RECORD
