"""Benchmark the portal sync's change detection against comparing every dossier each run.

Run as `python bench/portal_sync.py [--quick] [--dossiers N]`; it builds a SQLite database of N
dossiers (default 20 000), syncs them all in record mode, changes 1 % of them, then times one
incremental sync run against the reference: hashing every dossier's payload, which is what a
sync without the updated_at watermark would do every two minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.schemas import unit_and_procedure  # noqa: E402
from service.cli.context import load_settings  # noqa: E402
from service.ingest import new_lookup_secret  # noqa: E402
from service.models import Base, Dossier, StatusEvent  # noqa: E402
from service.portal import PortalOptions, build_payload, payload_hash, run_sync  # noqa: E402
from service.portal.outbox import OutboxGateway  # noqa: E402
from service.portal.state import load_dossiers  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.vocabulary import Channel, Status  # noqa: E402

T0 = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)


def populate(runtime: Runtime, count: int) -> None:
    """Insert `count` dossiers with two history lines each, in bulk."""
    with runtime.sessions.begin() as session:
        unit_id, procedure_id = unit_and_procedure(session)
        rows = [dict(code=f"000.32.26.H26-260302-{n:06d}", unit_id=unit_id,
                     procedure_id=procedure_id, applicant_name="Nguyễn Văn Bình",
                     applicant_phone="0912345678", channel=Channel.DIRECT,
                     received_at=T0 + dt.timedelta(minutes=n % 600), status=Status.PROCESSING,
                     is_open=True, source="bench", source_id=str(n), fingerprint="",
                     lookup_secret=new_lookup_secret(), updated_at=T0,
                     source_due_at=T0 + dt.timedelta(days=3)) for n in range(count)]
        session.execute(insert(Dossier), rows)
        ids = list(session.scalars(select(Dossier.id)))
        session.execute(insert(StatusEvent), [
            dict(dossier_id=i, at=T0 + dt.timedelta(seconds=s), status=status)
            for i in ids for s, status in ((0, Status.ACCEPTED), (60, Status.PROCESSING))])


def change(runtime: Runtime, share: float, now: dt.datetime) -> int:
    """Move a share of the dossiers to "Đã xử lý xong", as an ingest run would."""
    with runtime.sessions.begin() as session:
        ids = list(session.scalars(select(Dossier.id)))
        chosen = random.Random(1).sample(ids, max(1, int(len(ids) * share)))
        session.execute(update(Dossier).where(Dossier.id.in_(chosen)).values(
            status=Status.RESOLVED, updated_at=now))
        session.execute(insert(StatusEvent), [dict(dossier_id=i, at=now, status=Status.RESOLVED)
                                              for i in chosen])
    return len(chosen)


def hash_everything(runtime: Runtime, options: PortalOptions) -> int:
    """The reference: load and hash every dossier's payload."""
    with runtime.sessions() as session:
        ids = list(session.scalars(select(Dossier.id)))
        for start in range(0, len(ids), 500):
            for dossier in load_dossiers(session, ids[start:start + 500]):
                payload_hash(build_payload(dossier, options))
    return len(ids)


def timed(run: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    """Build, sync, change, and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2 000 dossiers")
    args = parser.parse_args()
    count = 2_000 if args.quick else args.dossiers
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings("config.toml", environ={}, overrides={
            "database_url": f"sqlite:///{folder}/bench.db"})
        runtime = Runtime.from_settings(settings)
        Base.metadata.create_all(runtime.engine)
        options = PortalOptions.from_settings(settings)
        populate(runtime, count)
        rng = random.Random(2)

        def sync_at(now: dt.datetime) -> None:
            run_sync(runtime.sessions, lambda s: OutboxGateway(s, now), now, options, rng)

        first = timed(lambda: sync_at(T0))
        later = T0 + dt.timedelta(hours=1)
        changed = change(runtime, 0.01, later)
        incremental = timed(lambda: sync_at(later))
        reference = timed(lambda: hash_everything(runtime, options))
        runtime.engine.dispose()
    print(f"{count} dossiers; first sync (compare + record every one): {first:.2f} s, "
          f"{count / first:.0f} dossiers/s")
    print(f"{changed} changed: incremental sync {incremental * 1000:.0f} ms; "
          f"hashing every payload {reference * 1000:.0f} ms")
    print(f"incremental sync vs hashing everything: {reference / incremental:.1f}x faster")


if __name__ == "__main__":
    main()
