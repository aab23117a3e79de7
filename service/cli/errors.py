"""Failures told to the operator in one line."""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """The cause's own message in one line: a driver's error without SQLAlchemy's SQL lines."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}"
