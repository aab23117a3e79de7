"""Column types for the labelled enums: stored by code, read back as members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import SmallInteger, String
from sqlalchemy.types import TypeDecorator

from service.vocabulary import LabelledEnum


class CodeEnum(TypeDecorator[LabelledEnum]):
    """Store a LabelledEnum by its code (an int or a short string), so SQL can filter on it."""

    impl = String(20)
    cache_ok = True

    def __init__(self, enum_class: type[LabelledEnum], **kwargs: Any) -> None:
        self.enum_class = enum_class
        # Members by stored code: a dict lookup in C instead of the enum's own Python-level call.
        self.members = {member._value_: member for member in enum_class}
        first = next(iter(enum_class)).value
        self.numeric = isinstance(first, int)
        super().__init__(**kwargs)
        if self.numeric:
            self.impl = SmallInteger()

    def load_dialect_impl(self, dialect: Any) -> Any:
        return dialect.type_descriptor(SmallInteger() if self.numeric else String(20))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, self.enum_class):
            return value._value_  # the plain attribute: `.value` is a slower descriptor
        return self.enum_class(value)._value_

    def process_result_value(self, value: Any, dialect: Any) -> LabelledEnum | None:
        if value is None:
            return None
        try:
            return self.members[value]
        except KeyError:
            return self.enum_class(value)  # raises ValueError naming the unknown code

    def __repr__(self) -> str:
        return f"CodeEnum({self.enum_class.__name__})"
