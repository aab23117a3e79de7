"""The password policy: length, the user name, the common list, a few different characters."""

from __future__ import annotations

import pytest

from service.users.passwords import (
    COMMON,
    FEW_CHARACTERS,
    HAS_NAME,
    MIN_LENGTH,
    TOO_SHORT,
    common_passwords,
    password_problem,
    skeleton,
)


def test_the_shipped_list_holds_the_passwords_people_choose_first() -> None:
    listed = common_passwords()
    assert 100 <= len(listed) <= 200
    for word in ("12345678", "123456789", "password", "matkhau", "11111111", "qwerty",
                 "anhyeuem", "iloveyou", "matkhau123", "1234567890"):
        assert word in listed, word


def test_every_listed_password_is_refused() -> None:
    for word in common_passwords():
        assert password_problem(word, "lan") in (TOO_SHORT, COMMON), word


@pytest.mark.parametrize(("password", "username", "problem"), [
    ("12345678", "lan", TOO_SHORT),
    ("abc-12345", "lan", TOO_SHORT),
    ("1234567890", "lan", COMMON),
    ("Mật khẩu 123", "lan", COMMON),
    ("MATKHAU.123", "lan", COMMON),
    ("Anh yêu em 123", "lan", COMMON),
    ("nguyenthulan", "nguyenthulan", HAS_NAME),
    ("NguyenThuLan", "nguyenthulan", HAS_NAME),
    ("Nguyễn Thu Lan", "nguyenthulan", HAS_NAME),
    ("lan@2026-mùa-thu", "lan", HAS_NAME),
    ("aaaaabbbbbaaaaa", "lan", FEW_CHARACTERS),
    ("1212121212", "lan", FEW_CHARACTERS),
])
def test_weak_passwords_are_refused_with_the_reason(password: str, username: str,
                                                   problem: object) -> None:
    assert password_problem(password, username) == problem


@pytest.mark.parametrize(("password", "username"), [
    ("mùa thu Hà Nội 2026", "lan"),
    ("Mật-khẩu-thử-2026", "thu"),   # "thử" is not the user name "thu"
    ("mật-khẩu-đủ-dài", "u"),       # a one-letter name only counts when it is the password
    ("correct horse battery staple", "ca"),
])
def test_good_passwords_pass(password: str, username: str) -> None:
    assert password_problem(password, username) is None


def test_the_reasons_name_the_rule_and_never_the_password() -> None:
    assert str(MIN_LENGTH) in TOO_SHORT.english and str(MIN_LENGTH) in TOO_SHORT.vietnamese
    assert "tên đăng nhập" in HAS_NAME.vietnamese and "user name" in HAS_NAME.english


def test_the_skeleton_drops_case_diacritics_and_separators() -> None:
    assert skeleton("Mật khẩu-Đủ_dài.1") == "matkhaududai1"
