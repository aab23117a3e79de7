"""Upper-cased Vietnamese names become readable; two spellings of one name are recognised."""

from __future__ import annotations

import unicodedata

import pytest

from connectors.names import same_name, title_case


@pytest.mark.parametrize("raw,readable", [
    ("NGUYỄN VĂN BÌNH", "Nguyễn Văn Bình"),
    ("ĐẶNG  THỊ   ÚT", "Đặng Thị Út"),
    ("LÊ VĂN A;  TRẦN THỊ B", "Lê Văn A; Trần Thị B"),  # OpenCPS joins applicants with "; "
    ("(ANH) HỒ SỸ", "(Anh) Hồ Sỹ"),
    (unicodedata.normalize("NFD", "NGUYỄN THỊ HƯỜNG"), "Nguyễn Thị Hường"),
])
def test_an_upper_cased_name_is_written_as_people_write_it(raw: str, readable: str) -> None:
    assert title_case(raw) == readable


def test_two_spellings_of_one_name_are_the_same_name() -> None:
    assert same_name("Nguyễn  Văn Bình", "NGUYỄN VĂN BÌNH")
    assert same_name(unicodedata.normalize("NFD", "Trần Thị Dung"), "TRẦN THỊ DUNG")
    assert not same_name("Trần Văn Nam", "NGUYỄN THỊ HOA")
    assert not same_name("Nguyễn Văn Binh", "NGUYỄN VĂN BÌNH")  # the tone mark matters
