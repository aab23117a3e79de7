"""Normalised search keys of a dossier, computed when it is stored, and of what a clerk types.

Clerks type names without diacritics and in any case ("nguyen van"), and phones as citizens say
them (0979 144 153, +84 979 144 153, 84979144153); sources store them just as variously, and
spreadsheets drop a phone's leading zero. Both sides go through the same functions here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any


def _folding_table() -> dict[int, str | None]:
    """Every precomposed Latin letter to its base letter; combining marks removed; đ to d."""
    table: dict[int, str | None] = {ord("đ"): "d", ord("Đ"): "D"}
    for point in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = "".join(ch for ch in unicodedata.normalize("NFD", chr(point))
                       if not unicodedata.combining(ch))
        if base.isascii() and base.isalpha() and base != chr(point):
            table[point] = base
    table.update({point: None for point in range(0x300, 0x370)})
    return table


# str.translate runs in C: folding a name costs about a microsecond, which the ingest notices.
FOLD = _folding_table()
NON_WORD = re.compile(r"[^0-9a-z]+")
DIGITS = re.compile(r"\D")
ID_CHARS = re.compile(r"[^0-9A-Z]")
# What separates digit groups when people write phone or ID numbers.
NUMBER_SPACING = re.compile(r"[\s.\-()]")


def fold(text: str | None) -> str:
    """Lower-case ASCII words of a text: 'Nguyễn  Văn Đức' -> 'nguyen van duc'."""
    plain = (text or "").translate(FOLD).lower()
    return " ".join(word for word in NON_WORD.split(plain) if word)


def name_key(name: str | None) -> str | None:
    """The applicant's name as searched: folded, or None when nothing searchable is left."""
    return fold(name) or None


def name_words(key: str | None) -> list[str]:
    """The name from its second word on, from each word: 'a b c' -> ['b c', 'c'].

    The whole name is searched through its own column; these serve a search that starts at a
    later word (the given name, or middle and given names).
    """
    words = (key or "").split()
    return [" ".join(words[start:]) for start in range(1, len(words))]


def phone_key(phone: str | None) -> str | None:
    """A Vietnamese phone number in national form (0 and 9-10 digits), or None.

    +84 / 0084 / 84 become 0; nine digits without the 0 (a spreadsheet dropped it) get it back.
    """
    digits = DIGITS.sub("", phone or "")
    if digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    return digits if digits.startswith("0") and len(digits) in (10, 11) else None


def id_no_key(id_no: str | None) -> str | None:
    """An ID number (CCCD 12 digits, CMND 9, a passport's letters) without spacing, upper-case."""
    return ID_CHARS.sub("", (id_no or "").upper()) or None


def receiver_key(name: str | None) -> str | None:
    """The receiving clerk's name as compared with a user's full name: folded."""
    return fold(name) or None


def search_columns(values: dict[str, Any]) -> dict[str, str | None]:
    """The dossier's key columns from its applicant and receiving-clerk values."""
    return {"name_key": name_key(values.get("applicant_name")),
            "phone_key": phone_key(values.get("applicant_phone")),
            "id_no_key": id_no_key(values.get("applicant_id_no")),
            "receiver_key": receiver_key(values.get("received_by"))}


@dataclass(frozen=True)
class SearchText:
    """What a search box's text can mean; each part None when the text cannot mean it."""

    code: str | None = None
    phone: str | None = None
    id_no: str | None = None
    name: str | None = None

    @property
    def personal(self) -> bool:
        """Whether the text reads as a phone or ID number (personal data)."""
        return self.phone is not None or self.id_no is not None


def read_search(text: str) -> SearchText:
    """Classify what a clerk typed: a code (has digits), a phone / ID number, or a name."""
    text = text.strip()
    number = NUMBER_SPACING.sub("", text).lstrip("+")
    if number.isdigit() and 9 <= len(number) <= 12:
        phone = phone_key(number)
        id_no = number if len(number) in (9, 12) else None
        if phone or id_no:
            return SearchText(phone=phone, id_no=id_no)
    if any(ch.isdigit() for ch in text):
        return SearchText(code=text)
    return SearchText(name=fold(text))
