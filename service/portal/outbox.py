"""The gateway interface the sync uses, and its "record" mode: an outbox table, no network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.dvcqg import PROGRESS_CHUNK, SYNC_DOSSIER, UPDATE_PROGRESS, PortalReply
from service.models import PortalOutbox

RECORDED = "Đã ghi vào hộp thư đi (chế độ ghi, không gửi lên Cổng)"


class Gateway(Protocol):
    """What the sync needs from the portal; DvcqgClient and OutboxGateway both provide it."""

    def sync_dossier(self, madonvi: str, item: dict[str, Any], updating: bool) -> PortalReply:
        """Create or update one dossier."""
        ...

    def update_progress(self, madonvi: str, lines: Sequence[dict[str, Any]]) -> PortalReply:
        """Append up to PROGRESS_CHUNK history lines of one dossier."""
        ...

    def lookup(self, madonvi: str, code: str) -> int | None:
        """The status the portal holds for a dossier, or None."""
        ...


class OutboxGateway:
    """Mode "record": each call becomes an outbox row and is acknowledged at once.

    Rows are added to the caller's session, so a call and its acknowledgement commit together.
    `lookup` answers from the outbox, so the reconcile job works in this mode too.
    """

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.session = session
        self.now = now

    def sync_dossier(self, madonvi: str, item: dict[str, Any], updating: bool) -> PortalReply:
        """Record a DongBoHoSoMC call."""
        body = {"madonvi": madonvi, "service": SYNC_DOSSIER,
                "isUpdating": "True" if updating else "False", "data": [item]}
        self._record(item["MaHoSo"], SYNC_DOSSIER, madonvi, body, updating,
                     int(item["TrangThaiHoSo"]))
        return PortalReply(RECORDED, RECORDED, updating=updating)

    def update_progress(self, madonvi: str, lines: Sequence[dict[str, Any]]) -> PortalReply:
        """Record a CapNhatTienDoHoSoMC call."""
        if not lines or len(lines) > PROGRESS_CHUNK:
            raise ValueError(f"send 1 to {PROGRESS_CHUNK} progress lines at a time")
        body = {"madonvi": madonvi, "service": UPDATE_PROGRESS, "data": list(lines)}
        self._record(lines[0]["MaHoSo"], UPDATE_PROGRESS, madonvi, body, None, None)
        return PortalReply(RECORDED, RECORDED, updating=True)

    def lookup(self, madonvi: str, code: str) -> int | None:
        """The status of the latest recorded DongBoHoSoMC call for the dossier."""
        return self.session.scalar(
            select(PortalOutbox.status)
            .where(PortalOutbox.dossier_code == code, PortalOutbox.service == SYNC_DOSSIER)
            .order_by(PortalOutbox.id.desc()).limit(1))

    def _record(self, code: str, service: str, madonvi: str, body: dict[str, Any],
                updating: bool | None, status: int | None) -> None:
        self.session.add(PortalOutbox(dossier_code=code, service=service, madonvi=madonvi,
                                      is_updating=updating, status=status, body=body,
                                      recorded_at=self.now))
