"""Citizens' satisfaction ratings given after looking up their dossier."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class CitizenRating(Base):
    """One rating (1–5 and an optional comment) per dossier; a later one replaces it."""

    __tablename__ = "citizen_rating"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    # Free text from the citizen: may hold personal data, so it is shown to staff, never logged.
    comment: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
