"""The password policy of staff accounts: the one check wherever a password is chosen.

NIST SP 800-63B (section 5.1.1.2) asks for a minimum length and a check against passwords known
to be common, and advises against composition rules (a digit, a capital, a symbol), which make
passwords harder to remember and no harder to guess. These accounts open citizens' ID numbers
and phones and can be reached from the Internet, so the minimum is 10 characters rather than the
standard's 8; a Vietnamese phrase ("mùa thu Hà Nội 2026") passes easily.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib.resources import files

MIN_LENGTH = 10
# "aaaaabbbbbaaaaa" is long but guessed at once.
MIN_DISTINCT = 5
# A user name this long or longer may not appear anywhere in the password; a shorter one
# ("ca", a commune police account) turns up inside ordinary words, so only equality counts.
NAME_INSIDE_FROM = 3
# Left out when passwords are compared with the common list: "Mật khẩu 123" is "matkhau123".
SEPARATORS = frozenset(" .-_")


@dataclass(frozen=True)
class Problem:
    """Why a password is refused: in English for the command line, in Vietnamese for pages."""

    english: str
    vietnamese: str


TOO_SHORT = Problem(f"password must have at least {MIN_LENGTH} characters",
                    f"Mật khẩu mới cần ít nhất {MIN_LENGTH} ký tự.")
HAS_NAME = Problem("password must not be or contain the user name",
                   "Mật khẩu mới không được trùng hoặc chứa tên đăng nhập.")
COMMON = Problem("password is one of the most common passwords; choose another",
                 "Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác.")
FEW_CHARACTERS = Problem(f"password must use at least {MIN_DISTINCT} different characters",
                         f"Mật khẩu mới cần có ít nhất {MIN_DISTINCT} ký tự khác nhau.")


def password_problem(password: str, username: str) -> Problem | None:
    """What is wrong with `password` for the account `username`, or None when it may be used."""
    text = unicodedata.normalize("NFC", password)
    if len(text) < MIN_LENGTH:
        return TOO_SHORT
    folded = text.casefold()
    name = unicodedata.normalize("NFC", username.strip()).casefold()
    if name and (folded == name or skeleton(text) == skeleton(name)
                 or (len(name) >= NAME_INSIDE_FROM and name in folded)):
        return HAS_NAME
    if skeleton(text) in common_passwords():
        return COMMON
    if len(set(folded)) < MIN_DISTINCT:
        return FEW_CHARACTERS
    return None


def skeleton(text: str) -> str:
    """`text` without case, Vietnamese diacritics and separators: "Mật khẩu-1" -> "matkhau1"."""
    bare = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in bare.casefold()
                   if not unicodedata.combining(c) and c not in SEPARATORS and not c.isspace())


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (service/data/common_passwords.txt), as skeletons."""
    text = files("service").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(skeleton(line) for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))
