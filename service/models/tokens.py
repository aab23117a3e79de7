"""API bearer tokens: stored as a hash, scoped and revocable."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class ApiToken(Base):
    """A bearer token for the REST API; only the SHA-256 of the secret is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Tokens are 256-bit random strings, so a plain SHA-256 is enough to make a stolen table
    # useless; a slow password hash would only slow down every API call.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated scopes: read, ingest, admin (admin implies every other scope).
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes this token was granted."""
        return frozenset(self.scopes.split())

    def allows(self, scope: str) -> bool:
        """Whether the token may be used where `scope` is required."""
        granted = self.scope_set
        return self.revoked_at is None and ("admin" in granted or scope in granted)
