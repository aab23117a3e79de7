"""Upsert the procedure catalogue into the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Procedure
from service.procedures import ProcedureSpec


def upsert_catalogue(session: Session, specs: list[ProcedureSpec]) -> tuple[int, int]:
    """Insert new procedures and update changed ones; return (created, updated)."""
    existing = {p.code: p for p in session.scalars(select(Procedure))}
    created = updated = 0
    for spec in specs:
        values = {"name": spec.name, "domain_name": spec.domain_name, "handler": spec.handler,
                  "limit_value": spec.limit_value, "limit_unit": spec.limit_unit,
                  "limit_if_verification": spec.limit_if_verification, "note": spec.note}
        row = existing.get(spec.code)
        if row is None:
            session.add(Procedure(code=spec.code, **values))
            created += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            updated += 1
    session.flush()
    return created, updated
