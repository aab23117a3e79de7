"""The SQL of a search: ranked tiers, each found through its own index or checked while walking.

Ranks, best first: the exact code, the exact phone or ID number, the code containing the text,
the name starting with the text, a later word of the name starting with it (a text can only
be one of a code, a phone or ID number, or a name, so only the two name ranks meet). A page
takes rows from the first tier on, so each tier is a plain indexed query in the list's order.

A common name ("nguyen" is every third applicant) matches hundreds of thousands of rows:
fetching them all to sort them is what made a name search take seconds cold. So each name tier
first counts its index entries up to SEEK_LIMIT: few, and the query starts from those entries
(seek); many, and it walks the list's order checking each row (walk), which meets a page of
matches after a few hundred rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from service.dossiers.search.keys import SearchText, read_search
from service.models import Dossier, NameWord

# Past this many matching index entries, walking the list order beats fetching every match:
# at 1 000 000 dossiers 2 000 random row reads cost about what walking 25 000 rows in order
# costs (bench/search.py).
SEEK_LIMIT = 2000
# A dossier code ends with the receipt date and the day's number: -YYMMDD-NNNN.
CODE_TAIL = re.compile(r"(\d{6})-\d{1,7}$")
FULL_CODE = re.compile(r"^[0-9A-Za-z.]+-\d{6}-\d{1,7}$")


@dataclass(frozen=True)
class Tier:
    """One rank of results: its condition by index (seek) and row by row (walk)."""

    seek: ColumnElement[bool]
    walk: ColumnElement[bool] | None = None
    entries: Select[Any] | None = None

    def choose(self, session: Session) -> ColumnElement[bool]:
        """The seek form when the matching index entries are few, else the walk form.

        PostgreSQL chooses by itself: its statistics on names and name words tell it how
        common a match is, where it guesses a LIKE '% word%' matches a few dozen rows and then
        reads the whole table for a common word (0.4-1 s at 1 000 000 dossiers).
        """
        if self.walk is None or self.entries is None:
            return self.seek
        if session.get_bind().dialect.name == "postgresql":
            return self.seek
        inner = self.entries.limit(SEEK_LIMIT + 1).subquery()
        common = (session.scalar(select(func.count()).select_from(inner)) or 0) > SEEK_LIMIT
        return self.walk if common else self.seek


def search_tiers(text: str, personal: bool, zone: ZoneInfo) -> list[Tier]:
    """The ranked tiers of a search; none when the text can match nothing the caller may see.

    `personal`: whether the caller may find dossiers by the applicant's name, phone or ID
    number (service.privacy); without it only codes are searched.
    """
    found = read_search(text)
    if found.code is None and not personal:
        return []
    if found.personal:
        return [_personal(found)]
    if found.code is not None:
        return _code_tiers(found.code, zone)
    return _name_tiers(found.name) if found.name else []


def _personal(found: SearchText) -> Tier:
    matches = []
    if found.phone is not None:
        matches.append(Dossier.phone_key == found.phone)
    if found.id_no is not None:
        matches.append(Dossier.id_no_key == found.id_no)
    return Tier(or_(*matches))


def _code_tiers(text: str, zone: ZoneInfo) -> list[Tier]:
    """A whole code exactly (its unique index), else the codes containing the text.

    A whole code does not also look for longer codes containing it: that would read a week
    of the received index for nothing, and cost a cold search 300 ms at 1 000 000 dossiers.
    """
    if FULL_CODE.match(text):
        return [Tier(Dossier.code.in_(sorted({text, text.upper()})))]
    return [Tier(_code_containing(text, zone))]


def _code_containing(text: str, zone: ZoneInfo) -> ColumnElement[bool]:
    """Codes containing the text; a date tail (260302-0042) also narrows the receipt date.

    Codes are given at receipt, so the named day bounds the search to a few days of the
    received index instead of every dossier.
    """
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    matched = Dossier.code.ilike(pattern, escape="\\")
    tail = CODE_TAIL.search(text)
    try:
        day = dt.datetime.strptime(tail.group(1), "%y%m%d").date() if tail else None
    except ValueError:
        day = None
    if day is None:
        return matched
    # A few days either side allow for time zones and late entry.
    return and_(matched, Dossier.received_at >= midnight(day - dt.timedelta(days=3), zone),
                Dossier.received_at < midnight(day + dt.timedelta(days=4), zone))


def midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The instant a local day begins."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


class few(FunctionElement[bool]):  # noqa: N801 - named as SQL functions are
    """A condition to be taken as matching few rows: SQLite's likelihood(), elsewhere as is.

    SQLite plans a statement before it sees the values bound to it, so it cannot tell that a
    name prefix matches few rows: it then walks the whole list in order instead of reading
    the prefix's range of the name index (0.5 s instead of 6 ms cold at 1 000 000 dossiers).
    PostgreSQL plans with the values and its statistics.
    """

    inherit_cache = True


@compiles(few)
def _as_is(element: few, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(few, "sqlite")
def _likelihood(element: few, compiler: Any, **kw: Any) -> str:
    # Per term: SQLite uses an index only for a likelihood() around one comparison.
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.001)"


def _name_tiers(name: str) -> list[Tier]:
    """Names starting with the folded text, then names with a later word starting with it.

    Seek forms are ranges of the byte-ordered keys; walk forms use LIKE, which SQLite never
    serves from an index (its LIKE ignores case), so it walks the list's order as intended.
    """
    upper = name[:-1] + chr(ord(name[-1]) + 1)
    starts = and_(few(Dossier.name_key >= name), few(Dossier.name_key < upper))
    not_starts = or_(Dossier.name_key < name, Dossier.name_key >= upper)
    words = select(NameWord.dossier_id).where(NameWord.word >= name, NameWord.word < upper)
    return [
        Tier(starts, Dossier.name_key.like(f"{name}%"), select(Dossier.id).where(starts)),
        Tier(and_(Dossier.id.in_(words), not_starts),
             and_(Dossier.name_key.like(f"% {name}%"), not_starts), words),
    ]
