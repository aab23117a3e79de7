"""Personal names as source systems write them: upper-cased, decomposed, doubly spaced."""

from __future__ import annotations

import unicodedata


def tidy(text: str) -> str:
    """Compose accents (NFC) and collapse runs of spaces: what two spellings must share."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def same_name(first: str, second: str) -> bool:
    """True when two spellings name the same person, whatever their case and spacing."""
    return tidy(first).casefold() == tidy(second).casefold()


def title_case(text: str) -> str:
    """Write an upper-cased Vietnamese name as people do: "NGUYỄN VĂN BÌNH" -> "Nguyễn Văn Bình".

    Accents are composed first: in decomposed text (NFD) a combining mark is not a letter, so
    `str.title` would capitalise the letter after it ("NguyêN"). Each word then keeps its first
    letter upper-case and the rest lower-case; Python's case maps cover đ/Đ and every tone mark.
    """
    return " ".join(_capitalised(word) for word in tidy(text).split(" "))


def _capitalised(word: str) -> str:
    """The word with its first letter upper-case and the rest lower-case; "(ANH)" -> "(Anh)"."""
    for index, char in enumerate(word):
        if char.isalpha():
            return word[:index] + char.upper() + word[index + 1:].lower()
    return word
