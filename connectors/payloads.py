"""Checks of untrusted JSON records before they are parsed: nesting depth, strings, instants;
and what is wrong with one, in Vietnamese.

Pushed records come from systems we do not control. Python's json module accepts what neither
database can store: a lone UTF-16 surrogate ("\\ud800") cannot be encoded as UTF-8, and
PostgreSQL refuses NUL in text and jsonb; an instant in year 1 or 9999 overflows once moved
to UTC. Each record is checked on its own so one bad record is refused by name while the
others of the same push are stored; what is kept of a refused record (in quarantine) is made
storable first.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import ValidationError, fields

from connectors.base import FIELD_LABELS

MAX_DEPTH = 8
# Dossiers of the one-stop era; anything outside is a typo or a placeholder (0001-01-01).
FIRST_YEAR, LAST_YEAR = 1900, 2100
UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant with its offset, between 1900 and 2100."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any
                     ) -> dt.datetime:
        instant = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= instant.year <= LAST_YEAR or not (
                FIRST_YEAR <= instant.astimezone(dt.UTC).year <= LAST_YEAR):
            raise ValidationError(f"expected an instant between {FIRST_YEAR} and {LAST_YEAR}")
        return instant


def depth(value: Any, limit: int | None = None) -> int:
    """How deeply lists and objects nest in a JSON value (a scalar is 0); past `limit` it stops
    counting and answers a depth beyond it.

    Walked with a list, not by recursion: a record nested a few hundred levels (valid JSON,
    within what the parser accepts) would otherwise exhaust Python's stack and fail the whole
    push with the good records in it.
    """
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            inner: Any = item.values()
        elif isinstance(item, list):
            inner = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if limit is not None and deepest > limit:
            break
        pending.extend((child, level) for child in inner)
    return deepest


def unstorable_strings(value: Any, path: str = "") -> list[str]:
    """Paths of the keys and strings that hold a lone surrogate or a NUL character."""
    found: list[str] = []
    if isinstance(value, str):
        return [path or "value"] if UNSTORABLE.search(value) else []
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, inner in items:
        where = f"{path}.{key}" if path and isinstance(key, str) else (
            f"{path}[{key}]" if path else str(key))
        if isinstance(key, str) and UNSTORABLE.search(key):
            found.append(where)
        found += unstorable_strings(inner, where)
    return found


def check_record(item: Any) -> None:
    """Refuse a record too deep or holding unstorable text; ValueError names where."""
    if depth(item, MAX_DEPTH) > MAX_DEPTH:
        raise ValueError(f"lồng sâu quá {MAX_DEPTH} tầng")
    bad = unstorable_strings(item)
    if bad:
        raise ValueError(f"{', '.join(bad[:5])}: văn bản chứa ký tự không hợp lệ (nửa cặp "
                         "surrogate hoặc NUL)")


def storable(value: Any, level: int = 0) -> Any:
    """A copy fit for the database: bad characters replaced, deep parts cut at MAX_DEPTH."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if level >= MAX_DEPTH and isinstance(value, dict | list):
        return "…"
    if isinstance(value, dict):
        return {storable(str(k)): storable(v, level + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v, level + 1) for v in value]
    return value


def describe(messages: Any, prefix: str = "") -> str:
    """marshmallow's nested messages in Vietnamese: '«Trạng thái» (status): phải là số nguyên'."""
    if isinstance(messages, dict):
        return "; ".join(describe(inner, f"{prefix}.{key}" if prefix else str(key))
                         for key, inner in sorted(messages.items(), key=lambda i: str(i[0])))
    texts = messages if isinstance(messages, list) else [messages]
    text = " ".join(vietnamese(str(m)) for m in texts)
    if not prefix:
        return text
    label = FIELD_LABELS.get(prefix.split(".")[0])
    return f"«{label}» ({prefix}): {text}" if label else f"{prefix}: {text}"


# marshmallow's own messages, as a clerk reads them on the quarantine page.
MESSAGES = (
    (r"Missing data for required field\.", "bắt buộc nhưng bị thiếu"),
    (r"Field may not be null\.", "không được để trống"),
    (r"Not a valid integer\.", "phải là số nguyên"),
    (r"Not a valid string\.", "phải là văn bản"),
    (r"Not a valid boolean\.", "phải là true hoặc false"),
    (r"Not a valid list\.", "phải là danh sách"),
    (r"Not a valid (date)?time\.|Not a valid datetime\.",
     "phải là ngày giờ ISO 8601 kèm múi giờ (vd. 2026-03-02T09:00:00+07:00)"),
    (r"Unknown field\.", "không phải trường được nhận"),
    (r"Length must be between (\d+) and (\d+)\.", r"phải dài từ \1 đến \2 ký tự"),
    (r"Longer than maximum length (\d+)\.", r"dài quá \1 ký tự"),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
     r"phải từ \1 đến \2"),
    (r"Must be one of: (.*)\.", r"phải là một trong: \1"),
    (r"expected an instant between (\d+) and (\d+)",
     r"phải là thời điểm trong khoảng năm \1 đến \2"),
)


def vietnamese(message: str) -> str:
    """One marshmallow message in Vietnamese; an unknown one is kept as it is."""
    for pattern, replacement in MESSAGES:
        translated, count = re.subn(f"^{pattern}$", replacement, message)
        if count:
            return translated
    return message
