"""Which reader sees which of an applicant's personal data in clear, and the masks for the rest.

Decree 13/2023/NĐ-CP: personal data is processed only as far as the purpose needs (Art. 3,
minimisation), and the applicant's name, phone, ID number and e-mail are personal data
(Art. 2). READERS below is the one place that decides, per role and per API token, what is
shown in clear; pages, printed letters, the list export, the portal payload view, the API and
the list search all ask it (docs/domain.md, "Personal data").
"""

from __future__ import annotations

import dataclasses
import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from service.dossiers.search.keys import FOLD
from service.models import ApiToken, Role, User


class Field(enum.Enum):
    """A kind of personal data of an applicant (or a complaint's sender)."""

    NAME = "name"
    PHONE = "phone"
    ID_NO = "id_no"
    EMAIL = "email"


class Applicant(Protocol):
    """What free text is checked against: a dossier's applicant columns."""

    applicant_name: str
    source_applicant_name: str | None
    applicant_phone: str | None
    applicant_id_no: str | None
    applicant_email: str | None


# A phone or an ID number written in a text: 9 to 12 digits, grouped by spaces or dots, not
# part of a longer number, a word or a dossier code (whose tail is -YYMMDD-NNNN).
NUMBER_IN_TEXT = re.compile(r"(?<![\w.\-/])\+?\d(?:[ .]?\d){8,11}(?![\w\-/]|\.\d)")
EMAIL_IN_TEXT = re.compile(r"[\w.+\-]+@([\w\-]+(?:\.[\w\-]+)+)")
# The portal's DongBoHoSoMC fields that carry the applicant's data (tests/fixtures/dvcqg).
PORTAL_FIELDS = {"ChuHoSo": Field.NAME, "SoGiayToChuHoSo": Field.ID_NO,
                 "SoDienThoai": Field.PHONE, "Fax": Field.PHONE, "Email": Field.EMAIL}
# Its free-text fields, which may quote them: the summary, a supplement's and a step's note.
PORTAL_TEXTS = ("TrichYeuHoSo", "NoiDungBoSung", "NoiDungXuLy")


def mask_name(name: str | None) -> str:
    """Keep the family name and initials: 'Nguyễn Văn Bình' -> 'Nguyễn V. B.' (idempotent)."""
    parts = (name or "").split()
    if len(parts) <= 1:
        return f"{parts[0][:1]}." if parts else ""
    return " ".join([parts[0], *(f"{p[0]}." for p in parts[1:])])


def mask_number(value: str | None, keep: int = 3) -> str:
    """Hide all but the last digits of an ID number or phone: '010203004567' -> '•••••••••567'."""
    if not value:
        return ""
    return "•" * max(len(value) - keep, 0) + value[-keep:]


def mask_email(value: str | None) -> str:
    """Hide the mailbox, keep the domain: 'binh.nv@example.vn' -> '•••@example.vn'."""
    if not value:
        return ""
    return "•••@" + value.rpartition("@")[2]


@dataclass(frozen=True)
class Disclosure:
    """What one reader sees of an applicant in clear; every other field is masked.

    `search`: whether the reader may find dossiers by name, phone or ID number. Finding one
    tells whose it is, so a reader who sees none of them in clear searches by code only.
    """

    clear: frozenset[Field] = frozenset()
    search: bool = False

    def shows(self, field: Field) -> bool:
        """Whether the field is shown to this reader in clear."""
        return field in self.clear

    def name(self, value: str | None) -> str:
        """The name as this reader sees it."""
        return (value or "") if Field.NAME in self.clear else mask_name(value)

    def phone(self, value: str | None) -> str:
        """The phone as this reader sees it ("" when there is none)."""
        return (value or "") if Field.PHONE in self.clear else mask_number(value)

    def id_no(self, value: str | None) -> str:
        """The ID number as this reader sees it ("" when there is none)."""
        return (value or "") if Field.ID_NO in self.clear else mask_number(value)

    def email(self, value: str | None) -> str:
        """The e-mail as this reader sees it ("" when there is none)."""
        return (value or "") if Field.EMAIL in self.clear else mask_email(value)

    def value(self, field: Field, value: str | None) -> str:
        """Any one field as this reader sees it."""
        return {Field.NAME: self.name, Field.PHONE: self.phone, Field.ID_NO: self.id_no,
                Field.EMAIL: self.email}[field](value)

    def text(self, text: str | None, applicant: Applicant | None = None, *,
             names: Iterable[str | None] = ()) -> str:
        """Free text (a summary, a note, a reason) with what this reader may not see masked.

        The applicant's names (or `names`, a complaint's sender) become the masked name
        wherever written, in any case and with or without diacritics; numbers shaped like a
        phone or an ID number, and e-mail addresses, are masked whoever they belong to, each
        by its own field's rule. Other people named in the text are not recognised.
        """
        return self._text(text, [*_names(applicant), *names])

    def _text(self, text: str | None, names: Iterable[str | None]) -> str:
        shown = unicodedata.normalize("NFC", text or "")
        if Field.NAME not in self.clear:
            for name in names:
                shown = _mask_name_in(shown, name)
        if not {Field.PHONE, Field.ID_NO} <= self.clear:
            shown = NUMBER_IN_TEXT.sub(self._number, shown)
        if Field.EMAIL not in self.clear:
            shown = EMAIL_IN_TEXT.sub(lambda m: mask_email(m[0]), shown)
        return shown

    def _number(self, found: re.Match[str]) -> str:
        """A number in a text as this reader sees it: 10-11 digits from 0 read as a phone
        (+84 for 0 too), anything else (CCCD 12 digits, CMND 9) as an ID number."""
        digits = re.sub(r"\D", "", found[0])
        phone = "0" + digits[2:] if found[0].startswith("+84") else digits
        if len(phone) in (10, 11) and phone.startswith("0"):
            return found[0] if Field.PHONE in self.clear else mask_number(digits)
        return found[0] if Field.ID_NO in self.clear else mask_number(digits)

    def payload(self, item: dict[str, Any],
                applicant: Applicant | None = None) -> dict[str, Any]:
        """A portal DongBoHoSoMC item (or a progress line) as this reader may see it."""
        if self.clear == ALL:
            return item
        names = [item.get("ChuHoSo"), *_names(applicant)]
        return _walk(item, lambda key, value: (
            self.value(PORTAL_FIELDS[key], value) if key in PORTAL_FIELDS
            else self._text(value, names) if key in PORTAL_TEXTS else value))

    def sync(self, view: Any, applicant: Applicant) -> Any:
        """A portal sync view (service.portal.SyncStateView) as this reader may see it.

        The portal's replies and errors may echo the record they refused.
        """
        if self.clear == ALL:
            return view
        names = _names(applicant)
        return dataclasses.replace(
            view, payload=self.payload(view.payload, applicant),
            pending_lines=[self.payload(line, applicant) for line in view.pending_lines],
            last_error=view.last_error and self._text(view.last_error, names),
            reply=view.reply and self._text(view.reply, names))


def _names(applicant: Applicant | None) -> tuple[str | None, ...]:
    """The names an applicant may be written under: shown and as the source spelt it."""
    return (applicant.applicant_name, applicant.source_applicant_name) if applicant else ()


def _walk(value: Any, change: Any, key: str = "") -> Any:
    """A copy of nested dicts and lists with each string changed by `change(key, value)`."""
    if isinstance(value, dict):
        return {k: _walk(v, change, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, change, key) for v in value]
    return change(key, value) if isinstance(value, str) else value


def _folded(text: str) -> str:
    """The text folded letter by letter (same length): case and diacritics dropped."""
    return "".join((ch.translate(FOLD).lower() or " ")[0] for ch in text)


def _mask_name_in(text: str, name: str | None) -> str:
    """Replace a full name (two words or more) wherever the text writes it."""
    words = _folded(unicodedata.normalize("NFC", name or "")).split()
    if len(words) < 2:
        return text
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)")
    masked = mask_name(name)
    spans = [m.span() for m in pattern.finditer(_folded(text))]
    for start, end in reversed(spans):
        text = text[:start] + masked + text[end:]
    return text


ALL = frozenset(Field)
NOTHING = Disclosure()
# Who sees what in clear (docs/domain.md, "Personal data"):
# - an admin everything: they fix what the portal refused and the quarantine, field by field;
# - the centre's clerk and the head of a handling body the name, phone and e-mail, to address
#   the receipt and the apology letter and to call the citizen about a late dossier; the ID
#   number only masked: they hold the citizen's card when they need it, and searching by it
#   finds the dossier without the number being shown;
# - a viewer (commune leadership, read only) and a read-scope API token nothing: they follow
#   deadlines, not people, and search by code only;
# - an API token with the admin scope sees the portal payload as it would be sent.
READERS: dict[str, Disclosure] = {
    Role.ADMIN.value: Disclosure(ALL, search=True),
    Role.CLERK.value: Disclosure(frozenset({Field.NAME, Field.PHONE, Field.EMAIL}), search=True),
    Role.HEAD.value: Disclosure(frozenset({Field.NAME, Field.PHONE, Field.EMAIL}), search=True),
    Role.VIEWER.value: NOTHING,
    "token": NOTHING,
    "token_admin": Disclosure(ALL, search=True),
}


def for_user(user: User | None) -> Disclosure:
    """What a signed-in user (None: nobody) sees in clear."""
    return NOTHING if user is None else READERS[user.role.value]


def for_token(token: ApiToken) -> Disclosure:
    """What an API token sees in clear: everything with the admin scope, else nothing."""
    return READERS["token_admin" if token.allows("admin") else "token"]


def searching_roles() -> frozenset[Role]:
    """The roles that may find dossiers by the applicant's name, phone or ID number."""
    return frozenset(role for role in Role if READERS[role.value].search)
