"""A deterministic simulator of a commune one-stop system, for the demo and the benchmarks.

Every dossier's whole life is drawn from a random generator seeded by (seed, day, number), so
the same configuration always tells the same story; a fetch reports the dossiers whose history
moved between the cursor and `now`, as they stand at `now`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from connectors.base import Batch, Connector, DossierRecord, EventRecord, SupplementRecord
from service.procedures import ProcedureSpec, builtin_catalogue
from service.vocabulary import Channel, LimitUnit, Status

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# A dossier's story never lasts longer than this many days after receipt.
MAX_LIFETIME_DAYS = 45
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Đức", "Thu", "Ngọc", "Quang", "Thanh", "Hữu", "Gia"]
GIVEN = ["An", "Bình", "Cúc", "Dung", "Giang", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam",
         "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vân", "Yến"]
CLERKS = ["Lê Thị Cúc", "Phạm Văn Em", "Nguyễn Thu Hà", "Trần Minh Khoa"]
DEPARTMENTS = {
    "Hộ tịch": "Công chức Tư pháp - Hộ tịch",
    "Chứng thực": "Công chức Tư pháp - Hộ tịch",
    "Đăng ký, quản lý cư trú": "Công an xã",
}
DEFAULT_DEPARTMENT = "Phòng Kinh tế"
# Birth registration and certified copies dominate a commune counter.
WEIGHTS = {"2.000815": 30, "1.001193": 12, "2.000884": 10, "1.004873": 8, "1.004194": 6}


class SimulatorOptions(Schema):
    """Options of [connectors.NAME] with type = "simulator"."""

    seed = fields.Integer(load_default=2026)
    unit_code = fields.String(load_default="000.32.26.H26")
    unit_name = fields.String(load_default="UBND xã Thanh Miện")
    per_day_min = fields.Integer(load_default=20, validate=validate.Range(min=0, max=10_000))
    per_day_max = fields.Integer(load_default=60, validate=validate.Range(min=0, max=10_000))
    backfill_days = fields.Integer(load_default=90, validate=validate.Range(min=0, max=3650))
    late_share = fields.Float(load_default=0.08, validate=validate.Range(min=0, max=1))
    interval_minutes = fields.Integer(load_default=5, validate=validate.Range(min=1))


@dataclass(frozen=True)
class Story:
    """A dossier's whole simulated life; `as_of` cuts it at an instant."""

    base: dict[str, Any]
    events: tuple[EventRecord, ...]
    supplements: tuple[SupplementRecord, ...]

    def as_of(self, now: dt.datetime) -> DossierRecord | None:
        events = tuple(e for e in self.events if e.at <= now)
        if not events:
            return None
        first = {e.status: e.at for e in reversed(events)}
        rounds = tuple(
            SupplementRecord(s.requested_at, s.completed_at if s.completed_at and
                             s.completed_at <= now else None, s.note)
            for s in self.supplements if s.requested_at <= now
        )
        return DossierRecord(
            **self.base, status=events[-1].status, source_modified_at=events[-1].at,
            source_status=events[-1].status.name.lower(),
            finished_at=first.get(Status.RESOLVED), returned_at=first.get(Status.RETURNED),
            stopped_at=first.get(Status.STOPPED) or first.get(Status.WITHDRAWN),
            events=events, supplements=rounds,
            electronic_result=Status.RESOLVED in first and self.base["digitized"],
        )


class SimulatorConnector(Connector):
    """Generates a realistic, repeatable flow of dossiers for one commune."""

    type_name = "simulator"
    options_schema = SimulatorOptions

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        self.catalogue = builtin_catalogue()
        self.weights = [WEIGHTS.get(p.code, 2) for p in self.catalogue]

    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        """Finish an interrupted sweep first, then report what moved up to `now`."""
        cursor = dict(cursor or {})
        if "sweep_now" in cursor:
            sweep_now = dt.datetime.fromisoformat(cursor["sweep_now"])
            yield from self._sweep(cursor, sweep_now)
            cursor = {"until": sweep_now.isoformat()}
        if "until" in cursor:
            since = dt.datetime.fromisoformat(cursor["until"])
        else:
            since = now - dt.timedelta(days=self.options["backfill_days"])
        if since >= now:
            return
        yield from self._sweep({"until": since.isoformat(), "sweep_now": now.isoformat()}, now)

    def _sweep(self, cursor: dict[str, Any], now: dt.datetime) -> Iterator[Batch]:
        since = dt.datetime.fromisoformat(cursor["until"])
        first_day = since.astimezone(TZ).date() - dt.timedelta(days=MAX_LIFETIME_DAYS)
        if "resume_day" in cursor:
            first_day = max(first_day, dt.date.fromisoformat(cursor["resume_day"]))
        day, last_day = first_day, now.astimezone(TZ).date()
        while day <= last_day:
            records = [r for r in self.records_changed(day, since, now)]
            following = (day + dt.timedelta(days=1)).isoformat()
            done = day == last_day
            next_cursor = ({"until": now.isoformat()} if done else
                           {**cursor, "resume_day": following, "sweep_now": now.isoformat()})
            yield Batch(records=list(records), cursor=next_cursor)
            day += dt.timedelta(days=1)

    def records_changed(self, day: dt.date, since: dt.datetime,
                        now: dt.datetime) -> Iterator[DossierRecord]:
        """Yield the dossiers received on `day` whose history moved in (since, now]."""
        for story in self.stories(day):
            if any(since < e.at <= now for e in story.events):
                record = story.as_of(now)
                if record is not None:
                    yield record

    def stories(self, day: dt.date) -> Iterator[Story]:
        """Yield every dossier received on `day` (none on weekends)."""
        if day.weekday() >= 5:
            return
        rng = random.Random(f"{self.options['seed']}:{day.isoformat()}")
        count = rng.randint(self.options["per_day_min"], self.options["per_day_max"])
        times = sorted(_office_instant(day, rng) for _ in range(count))
        for number, received in enumerate(times, start=1):
            yield self.story(day, number, received)

    def story(self, day: dt.date, number: int, received: dt.datetime) -> Story:
        """Draw one dossier's life."""
        rng = random.Random(f"{self.options['seed']}:{day.isoformat()}:{number}")
        spec = rng.choices(self.catalogue, self.weights)[0]
        channel = rng.choices(list(Channel), [55, 40, 5])[0]
        code = f"{self.options['unit_code']}-{day:%y%m%d}-{number:04d}"
        department = DEPARTMENTS.get(spec.domain_name, DEFAULT_DEPARTMENT)
        events, supplements = _life(rng, spec, received, department, self.options["late_share"])
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        base = {
            "code": code, "unit_code": self.options["unit_code"],
            "unit_name": self.options["unit_name"], "procedure_code": spec.code,
            "procedure_name": spec.name, "domain_name": spec.domain_name,
            "limit_value": spec.limit_value, "limit_unit": spec.limit_unit,
            "applicant_name": name, "channel": channel, "received_at": received,
            "source_id": code, "summary": f"{spec.name} cho {name}",
            "applicant_id_no": f"0{rng.randrange(10**10, 10**11)}",
            "applicant_phone": f"09{rng.randrange(10**7, 10**8)}",
            "applicant_email": None, "handler": department, "received_by": rng.choice(CLERKS),
            "filed_at": (received - dt.timedelta(hours=rng.randint(1, 30))
                         if channel is Channel.ONLINE else received),
            "source_due_at": _weekday_due(received, spec),
            "fee_due": spec.domain_name == "Chứng thực", "paid_online":
                channel is Channel.ONLINE and rng.random() < 0.5,
            "digitized": rng.random() < 0.7,
        }
        return Story(base=base, events=tuple(events), supplements=tuple(supplements))


def _office_instant(day: dt.date, rng: random.Random) -> dt.datetime:
    minute = rng.choice([rng.randint(450, 690), rng.randint(810, 1010)])
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), TZ)


def _add_weekdays(moment: dt.datetime, days: float) -> dt.datetime:
    """Move forward by whole weekdays (the source system's own rough calendar), then hours."""
    whole = int(days)
    result = moment
    while whole > 0:
        result += dt.timedelta(days=1)
        if result.weekday() < 5:
            whole -= 1
    result += dt.timedelta(minutes=int((days - int(days)) * 8 * 60))
    while result.weekday() >= 5:
        result += dt.timedelta(days=1)
    return result.replace(second=0, microsecond=0)


def _weekday_due(received: dt.datetime, spec: ProcedureSpec) -> dt.datetime:
    if spec.limit_unit is LimitUnit.SAME_DAY:
        late = received.time() >= dt.time(15, 0)
        base = _add_weekdays(received, 1) if late else received
        return base.replace(hour=17, minute=0, second=0)
    return _add_weekdays(received, spec.limit_value)


def _life(rng: random.Random, spec: ProcedureSpec, received: dt.datetime, department: str,
          late_share: float) -> tuple[list[EventRecord], list[SupplementRecord]]:
    """Draw the history: acceptance, processing, maybe supplements, then an ending."""
    clerk = rng.choice(CLERKS)
    events = [EventRecord(received, Status.ACCEPTED, clerk, "Bộ phận Một cửa", "Tiếp nhận hồ sơ")]
    moment = received + dt.timedelta(minutes=rng.randint(5, 90))
    events.append(EventRecord(moment, Status.PROCESSING, clerk, department, "Chuyển xử lý"))
    supplements: list[SupplementRecord] = []
    limit = max(spec.limit_value, 1)
    roll = rng.random()
    if roll < 0.01:
        end = _add_weekdays(moment, rng.uniform(0.1, limit))
        events.append(EventRecord(end, Status.WITHDRAWN, None, department, "Công dân rút hồ sơ"))
        return events, supplements
    if roll < 0.10:
        asked = _add_weekdays(moment, rng.uniform(0.1, min(limit, 3)))
        events.append(EventRecord(asked, Status.WAITING_SUPPLEMENT, None, department,
                                  "Yêu cầu bổ sung giấy tờ"))
        if rng.random() < 0.1:
            supplements.append(SupplementRecord(asked, None, "Yêu cầu bổ sung giấy tờ"))
            closed = asked + dt.timedelta(days=16)
            events.append(EventRecord(closed, Status.STOPPED, None, department,
                                      "Quá hạn bổ sung, dừng xử lý"))
            return events, supplements
        moment = _add_weekdays(asked, rng.uniform(0.5, 5))
        supplements.append(SupplementRecord(asked, moment, "Yêu cầu bổ sung giấy tờ"))
        events.append(EventRecord(moment, Status.PROCESSING, clerk, department, "Đã bổ sung"))
    spent = rng.uniform(limit + 0.2, limit + 3) if rng.random() < late_share else \
        rng.uniform(0.05, limit * 0.95)
    resolved = _add_weekdays(moment, spent)
    events.append(EventRecord(resolved, Status.RESOLVED, None, department, "Đã có kết quả"))
    returned = _add_weekdays(resolved, rng.choice([0.1, 0.5, 1, 2]))
    events.append(EventRecord(returned, Status.RETURNED, clerk, "Bộ phận Một cửa", "Trả kết quả"))
    return events, supplements
