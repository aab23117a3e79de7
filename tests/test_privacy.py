"""The personal-data policy: one table for every role and token, and masks that hold in text."""

from __future__ import annotations

from types import SimpleNamespace

from service.models import Role
from service.privacy import NOTHING, READERS, Field, for_user, mask_name, searching_roles

APPLICANT = SimpleNamespace(
    applicant_name="Nguyễn Văn Bình", source_applicant_name="NGUYEN VAN BINH",
    applicant_phone="0912345678", applicant_id_no="010203004567",
    applicant_email="binh.nv@example.vn")


def test_every_role_has_a_line_in_the_policy() -> None:
    assert {role.value for role in Role} <= set(READERS)
    assert for_user(None) == NOTHING
    assert searching_roles() == {Role.ADMIN, Role.CLERK, Role.HEAD}


def test_the_clerk_sees_name_and_phone_but_not_the_id_number() -> None:
    clerk = READERS[Role.CLERK.value]
    assert clerk.name("Nguyễn Văn Bình") == "Nguyễn Văn Bình" and clerk.phone("0912345678") == \
        "0912345678"
    assert clerk.id_no("010203004567") == "•••••••••567" and not clerk.shows(Field.ID_NO)
    assert READERS[Role.ADMIN.value].id_no("010203004567") == "010203004567"


def test_a_masked_name_is_initials_and_masks_to_itself() -> None:
    assert mask_name("Nguyễn Văn Bình") == "Nguyễn V. B."
    assert mask_name("Nguyễn V. B.") == "Nguyễn V. B."
    assert mask_name("Bình") == "B." and mask_name("") == "" and mask_name(None) == ""


def test_text_masks_the_name_in_any_spelling_and_numbers_and_mails() -> None:
    text = ("Ông nguyễn văn bình (NGUYEN VAN  BINH), SĐT 0912 345 678, CCCD 010203004567, "
            "thư binh.nv@example.vn")
    assert NOTHING.text(text, APPLICANT) == (
        "Ông Nguyễn V. B. (Nguyễn V. B.), SĐT •••••••678, CCCD •••••••••567, "
        "thư •••@example.vn")


def test_the_clerk_reads_phones_in_text_but_not_id_numbers() -> None:
    text = "Gọi 0912 345 678 hoặc +84 912 345 679; CCCD 010203004567, CMND 123456789"
    assert READERS[Role.CLERK.value].text(text, APPLICANT) == (
        "Gọi 0912 345 678 hoặc +84 912 345 679; CCCD •••••••••567, CMND ••••••789")


def test_text_leaves_codes_dates_and_other_words_alone() -> None:
    text = ("Hồ sơ 000.32.26.H26-261130-0001 nhận 27/11/2026 lúc 20261127090000; "
            "anh Bình Minh, Văn phòng")
    assert NOTHING.text(text, APPLICANT) == text


def test_the_viewer_payload_masks_the_name_inside_nested_notes() -> None:
    item = {"ChuHoSo": "Nguyễn Văn Bình", "NgayTiepNhan": "20261127090000",
            "DanhSachHoSoBoSung": [{"NoiDungBoSung": "Nguyễn Văn Bình nộp bản sao CCCD"}]}
    shown = NOTHING.payload(item)
    assert shown["ChuHoSo"] == "Nguyễn V. B." and shown["NgayTiepNhan"] == "20261127090000"
    assert shown["DanhSachHoSoBoSung"][0]["NoiDungBoSung"] == "Nguyễn V. B. nộp bản sao CCCD"
    assert item["ChuHoSo"] == "Nguyễn Văn Bình"  # a copy: what is sent is untouched
