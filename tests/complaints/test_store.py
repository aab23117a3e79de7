"""Sending a complaint and the clerks' steps: checks, codes, one open complaint per dossier."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.complaints import (
    ComplaintError,
    answer,
    assign,
    close,
    normalise_phone,
    receive,
    submit_about_dossier,
    submit_public,
)
from service.models import ComplaintSource, ComplaintStatus
from service.runtime import Runtime
from service.vocabulary import DeadlineClass
from tests.complaints.support import policy_of, unit
from tests.conftest import local

SENT = local(2026, 3, 2, 9)
TEXT = "Hồ sơ khai sinh nộp từ tuần trước vẫn chưa được giải quyết."


@pytest.mark.parametrize(("given", "stored"), [
    ("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("+84 912 345 678",
                                                                   "0912345678"),
    ("84912345678", "0912345678"), ("0220.3852.123", "02203852123")])
def test_phone_numbers_are_read_in_every_common_format(given: str, stored: str) -> None:
    assert normalise_phone(given) == stored


@pytest.mark.parametrize("given", ["", "12345", "09123456789012", "09x2345678"])
def test_a_wrong_phone_number_is_refused_naming_the_field(given: str) -> None:
    with pytest.raises(ComplaintError) as caught:
        normalise_phone(given)
    assert caught.value.field == "phone" and "Số điện thoại" in str(caught.value)


@pytest.mark.parametrize(("name", "content", "field", "words"), [
    ("", TEXT, "name", "Họ và tên"),
    ("A" * 101, TEXT, "name", "tối đa 100"),
    ("Trần Văn Hùng", "Chậm", "content", "ít nhất 10"),
    ("Trần Văn Hùng", "x" * 2001, "content", "dài 2001 ký tự, tối đa 2000"),
])
def test_the_public_form_checks_lengths(runtime: Runtime, session: Session, name: str,
                                        content: str, field: str, words: str) -> None:
    with pytest.raises(ComplaintError) as caught:
        submit_public(session, policy_of(runtime), unit(session).id, name, "0912345678",
                      content, SENT)
    assert caught.value.field == field and words in str(caught.value)


def test_codes_number_the_complaints_of_each_day(runtime: Runtime, session: Session) -> None:
    policy, unit_id = policy_of(runtime), unit(session).id
    codes = [submit_public(session, policy, unit_id, "Lê Thị Mai", "0912345678", TEXT, at).code
             for at in (SENT, SENT, local(2026, 3, 3, 23, 30), local(2026, 3, 3, 23, 59))]
    assert codes == ["PAKN-260302-001", "PAKN-260302-002", "PAKN-260303-001",
                     "PAKN-260303-002"]


def test_a_complaint_about_a_dossier_takes_its_holder_and_handling_body(
        runtime: Runtime, session: Session, make_dossier: Any) -> None:
    dossier = make_dossier(handler="Công an xã")
    complaint = submit_about_dossier(session, policy_of(runtime), dossier.id, TEXT, SENT)
    assert (complaint.source, complaint.name, complaint.phone, complaint.handler,
            complaint.unit_id) == (ComplaintSource.LOOKUP, "Nguyễn Văn Bình", "0912345678",
                                   "Công an xã", dossier.unit_id)
    with pytest.raises(ComplaintError, match="đang chờ trả lời"):
        submit_about_dossier(session, policy_of(runtime), dossier.id, TEXT, SENT)
    answer(session, complaint, "Hồ sơ đã có kết quả, mời ông đến nhận.", "Cán bộ lan", SENT)
    again = submit_about_dossier(session, policy_of(runtime), dossier.id, TEXT, SENT)
    assert again.code == "PAKN-260302-002"


def test_receive_assign_answer_close(runtime: Runtime, session: Session) -> None:
    complaint = submit_public(session, policy_of(runtime), unit(session).id, "Lê Thị Mai",
                              "0912345678", TEXT, SENT)
    assert complaint.status is ComplaintStatus.NEW
    receive(session, complaint, "Nguyễn Thu Lan", local(2026, 3, 2, 10))
    with pytest.raises(ComplaintError, match="đã được tiếp nhận"):
        receive(session, complaint, "Nguyễn Thu Lan", local(2026, 3, 2, 10))
    assign(session, complaint, "  Công chức Tư pháp -  Hộ tịch ", "Nguyễn Thu Lan",
           local(2026, 3, 2, 11))
    assert (complaint.status, complaint.handler) == (ComplaintStatus.ASSIGNED,
                                                     "Công chức Tư pháp - Hộ tịch")
    with pytest.raises(ComplaintError) as caught:
        answer(session, complaint, "Đã xem", "Trưởng ban", local(2026, 3, 3, 9))
    assert caught.value.field == "answer"
    answer(session, complaint, "Hồ sơ đã giải quyết xong, kết quả trả ngày 04/03.",
           "Trưởng ban", local(2026, 3, 3, 9))
    assert (complaint.status, complaint.is_open, complaint.deadline_class) == (
        ComplaintStatus.ANSWERED, False, None)
    assert complaint.received_by == "Nguyễn Thu Lan"
    with pytest.raises(ComplaintError, match="đã trả lời"):
        assign(session, complaint, "Công an xã", "Nguyễn Thu Lan", local(2026, 3, 3, 10))
    close(session, complaint, "", local(2026, 3, 4, 9))
    assert complaint.status is ComplaintStatus.CLOSED
    assert complaint.handled_at == local(2026, 3, 3, 9)


def test_closing_without_an_answer_needs_the_reason(runtime: Runtime, session: Session) -> None:
    complaint = submit_public(session, policy_of(runtime), unit(session).id, "Lê Thị Mai",
                              "0912345678", TEXT, SENT)
    with pytest.raises(ComplaintError) as caught:
        close(session, complaint, "", local(2026, 3, 2, 10))
    assert caught.value.field == "note" and complaint.is_open
    close(session, complaint, "Trùng với phản ánh PAKN-260301-004 đã trả lời.",
          local(2026, 3, 2, 10))
    assert (complaint.is_open, complaint.deadline_class, complaint.handled_at) == (
        False, None, local(2026, 3, 2, 10))


def test_a_step_taken_late_stores_the_class_of_its_instant(runtime: Runtime,
                                                             session: Session) -> None:
    complaint = submit_public(session, policy_of(runtime), unit(session).id, "Lê Thị Mai",
                              "0912345678", TEXT, SENT)
    receive(session, complaint, "Nguyễn Thu Lan", local(2026, 3, 20, 9))
    assert complaint.deadline_class is DeadlineClass.NEAR
