"""Keep the name-word rows of dossiers in step with their name keys."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import delete
from sqlalchemy.orm import Session

from service.db import insert_rows
from service.dossiers.search.keys import name_words
from service.models import NameWord

WORDS = NameWord.__table__


def replace_words(session: Session, names: Mapping[int, str | None],
                  fresh: Collection[int] = ()) -> None:
    """Store the words of these dossiers' name keys (id -> key), replacing their old words.

    Dossiers in `fresh` were just inserted and have no words to remove.
    """
    stale = [dossier_id for dossier_id in names if dossier_id not in fresh]
    if stale:
        session.execute(delete(WORDS).where(WORDS.c.dossier_id.in_(stale)))
    rows = [(word, dossier_id) for dossier_id, key in names.items() for word in name_words(key)]
    if rows:  # plain strings and ids: driver-ready, so straight to COPY on PostgreSQL
        insert_rows(session, WORDS.name, ("word", "dossier_id"), rows)
