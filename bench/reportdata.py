"""Dossiers for the reports benchmark: several communes over three years with their status
history, handling times and search keys (as the ingest stores them), bulk-loaded.

Several units and years make a query that reads the whole table instead of one unit's period
show in the figures. Names, phones and codes are realistic enough to search for.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench.webtiming import PASSWORD
from service.dossiers.search.keys import name_words, search_columns
from service.models import Base, Dossier, NameWord, Procedure, StatusEvent, Unit
from service.procedures import builtin_catalogue
from service.procedures.store import upsert_catalogue
from service.users.accounts import create_user
from service.vocabulary import Channel, Outcome, Status

TZ = dt.timezone(dt.timedelta(hours=7))
FIRST = dt.datetime(2024, 1, 1, 7, 30, tzinfo=TZ)
NOW = dt.datetime(2026, 12, 20, 10, tzinfo=TZ)
# (code, name, share of the dossiers): the clerk of the benchmark works in the first.
UNITS = (("000.32.26.H26", "UBND xã Thanh Miện", 0.40), ("000.33.26.H26", "UBND xã Lê Lợi", 0.25),
         ("000.34.26.H26", "UBND xã Ngũ Hùng", 0.20), ("000.35.26.H26", "UBND xã Hồng Quang", 0.15))
HANDLERS = ("Văn phòng UBND xã", "Phòng Kinh tế", "Phòng Văn hóa - Xã hội", "Công an xã",
            "Tư pháp - Hộ tịch", "Địa chính - Xây dựng")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân", "Thu")
GIVEN = ("An", "Bình", "Châu", "Cường", "Dũng", "Duy", "Giang", "Hà", "Hải", "Hạnh", "Hiếu",
         "Hoa", "Hùng", "Hương", "Khánh", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam",
         "Nga", "Ngân", "Nhung", "Phúc", "Phương", "Quang", "Quân", "Sơn", "Tâm", "Thảo",
         "Thắng", "Trang", "Trung", "Tuấn", "Vân", "Việt", "Vy", "Yến")
REASONS = ("Hồ sơ phải xác minh thực địa", "Chờ ý kiến của cơ quan liên quan",
           "Cán bộ thụ lý nghỉ ốm", "Hệ thống một cửa gián đoạn")
CHUNK = 20_000


def applicant_name(number: int) -> str:
    """The applicant of dossier `number`: one of 6 400 full names, as common ones repeat."""
    mixed = number * 2_654_435_761 % 2**32  # Knuth's multiplicative hash: no short cycle
    family, rest = divmod(mixed, len(MIDDLE) * len(GIVEN))
    middle, given = divmod(rest, len(GIVEN))
    return f"{FAMILY[family % len(FAMILY)]} {MIDDLE[middle]} {GIVEN[given]}"


def applicant_phone(number: int) -> str:
    """A mobile number of ten digits, distinct per dossier."""
    return f"09{(number * 7_919_993) % 100_000_000:08d}"


def chunk_rows(rng: np.random.Generator, start: int, received: np.ndarray, units: np.ndarray,
               unit_ids: list[int], procedures: list[tuple[int, int]]
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Dossiers received at the given offsets (seconds after FIRST) in the given units
    (indexes into UNITS and unit_ids), and their status history: accepted at receipt, then
    processing, for one in 23 a supplement request, and the result and its return. Reports
    judged at a past instant rebuild statuses from that history, as they do in service."""
    size = len(received)
    pick = rng.integers(0, len(procedures), size)
    channel = rng.choice([1, 2, 3], size, p=[0.55, 0.43, 0.02])
    handler = rng.integers(0, len(HANDLERS), size)
    took = rng.gamma(2.0, 2.0, size) * 86400
    finished = rng.random(size) < 0.97
    rows, events = [], []
    for k in range(size):
        number = start + k
        at = FIRST + dt.timedelta(seconds=float(received[k]))
        pid, limit = procedures[pick[k]]
        due = at + dt.timedelta(days=max(limit, 1) * 1.4)
        finish = at + dt.timedelta(seconds=float(took[k]))
        done = finish < NOW and bool(finished[k])
        late = done and finish > due
        outcome = (Outcome.LATE if late else Outcome.ON_TIME
                   if finish.date() == due.date() else Outcome.EARLY) if done else None
        status = Status.RETURNED if done else (Status.WAITING_SUPPLEMENT
                                               if k % 23 == 0 else Status.PROCESSING)
        # An apology letter with a new date for some of the late dossiers.
        apology = late and number % 3 == 0
        elapsed = (finish - at).total_seconds() / 60 if done else None
        steps = [(at, Status.ACCEPTED), (at + dt.timedelta(hours=2), Status.PROCESSING)]
        if status is Status.WAITING_SUPPLEMENT:
            steps.append((at + dt.timedelta(days=1), Status.WAITING_SUPPLEMENT))
        if done:
            steps += [(finish, Status.RESOLVED), (finish + dt.timedelta(minutes=1),
                                                   Status.RETURNED)]
        events += [{"dossier_id": number + 1, "at": when, "status": step}
                   for when, step in steps if when < NOW]
        rows.append(dict(
            id=number + 1,
            code=f"{UNITS[units[k]][0]}-{at:%y%m%d}-{number:07d}", unit_id=unit_ids[units[k]],
            procedure_id=pid, applicant_name=applicant_name(number),
            applicant_phone=applicant_phone(number), applicant_id_no=f"0{number:011d}",
            channel=Channel(int(channel[k])), handler=HANDLERS[handler[k]], received_at=at,
            source_due_at=due, statutory_due_at=due, due_at=due, portal_due_at=due,
            near_at=None if done else due - dt.timedelta(days=1), status=status,
            is_open=not done, finished_at=finish if done else None,
            returned_at=finish if done else None, outcome=outcome, portal_outcome=outcome,
            extension_due_at=due + dt.timedelta(days=5) if apology else None,
            extension_reason=REASONS[number % len(REASONS)] if apology else None,
            fee_due=bool(k % 4 == 0), paid_online=bool(k % 8 == 0), digitized=bool(k % 3),
            electronic_result=done and bool(k % 2), source="bench", source_id=str(number),
            fingerprint="", lookup_secret="x",
            # Office hours are about a quarter of the week's minutes.
            handling_elapsed_min=round(elapsed) if elapsed is not None else None,
            handling_working_min=round(elapsed / 4) if elapsed is not None else None,
            updated_at=max(when for when, _ in steps if when < NOW)))
        rows[-1].update(search_columns(rows[-1]))  # what the ingest stores for searching
    return rows, events


def setup(session: Session) -> tuple[list[int], list[tuple[int, int]]]:
    """Add the units, the catalogue and two users; return unit ids and (procedure, limit)s."""
    units = [Unit(code=code, name=name) for code, name, _ in UNITS]
    session.add_all(units)
    upsert_catalogue(session, builtin_catalogue())
    session.flush()
    create_user(session, "admin", PASSWORD, "admin", [], NOW)
    create_user(session, "clerk", PASSWORD, "clerk", [UNITS[0][0]], NOW)
    return [u.id for u in units], [(p.id, p.limit_value) for p in session.scalars(
        select(Procedure))]


def load(engine: Engine, size: int) -> float:
    """Create the schema and bulk-insert `size` dossiers; return the seconds it took."""
    started = time.perf_counter()
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        unit_ids, procedures = setup(session)
    rng = np.random.default_rng(2026)
    # Dossiers arrive in the order they are received, as ingestion stores them.
    received = np.sort(rng.uniform(0, (NOW - FIRST).total_seconds(), size))
    units = rng.choice(len(UNITS), size, p=[share for _, _, share in UNITS])
    with engine.begin() as conn:
        for start in range(0, size, CHUNK):
            stop = start + CHUNK
            rows, events = chunk_rows(rng, start, received[start:stop], units[start:stop],
                                      unit_ids, procedures)
            conn.execute(insert(Dossier.__table__), rows)
            conn.execute(insert(StatusEvent.__table__), events)
            conn.execute(insert(NameWord.__table__), [
                {"word": word, "dossier_id": row["id"]}
                for row in rows for word in name_words(row["name_key"])])
            print(f"\r  loaded {min(stop, size):>9,}", end="", flush=True)
    print()
    # What autovacuum does on a live server: statistics, and the visibility map that lets
    # PostgreSQL answer from covering indexes alone.
    quote = engine.dialect.identifier_preparer.quote
    command = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in Base.metadata.sorted_tables:
            conn.execute(text(f"{command} {quote(table.name)}"))
    return time.perf_counter() - started


def loaded_size(engine: Engine) -> int | None:
    """How many dossiers a kept database holds, or None when it has no dossier table."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, Dossier.__tablename__):
            return None
        return conn.scalar(select(func.count()).select_from(Dossier))
