"""A deterministic simulator of a commune one-stop system, for the demo and the benchmarks.

Every dossier's whole life is drawn from a random generator seeded by (seed, day, number), so
the same configuration always tells the same story; a fetch reports the dossiers whose history
moved between the cursor and `now`, as they stand at `now`.

The simulated office keeps the working calendar it is given (the deployment's, or the
default Vietnamese one): dossiers are received, handled, finished and returned inside office
hours of working days only. Its appointments follow Decree 118/2025 for most dossiers (the
statutory due date, restarted when a supplement is completed, as real one-stop systems can),
and a configured share of lax ones (later than the law) so the source audit has something to
show.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate

from connectors.base import Batch, Connector, DossierRecord, EventRecord, SupplementRecord
from service.calendar import WorkCalendar
from service.deadlines import due_at
from service.procedures import ProcedureSpec, builtin_catalogue
from service.vocabulary import Channel, Status

# A dossier's story never lasts longer than this many days after receipt: 3 working days to
# a supplement request, 5 to its answer, 15 to handle, 3 late and 2 to return, across Tết.
MAX_LIFETIME_DAYS = 60
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
    # Share of dossiers the handling body finishes after the statutory due date.
    late_share = fields.Float(load_default=0.08, validate=validate.Range(min=0, max=1))
    # Share of receipts whose appointment is later than the law allows (1-3 working days).
    lax_share = fields.Float(load_default=0.05, validate=validate.Range(min=0, max=1))
    interval_minutes = fields.Integer(load_default=5, validate=validate.Range(min=1))


@dataclass(frozen=True)
class Story:
    """A dossier's whole simulated life; `as_of` cuts it at an instant.

    `appointments` holds (from when, appointment) pairs: the receipt's, then the one the
    source system printed when a supplement was completed and the clock restarted.
    """

    base: dict[str, Any]
    events: tuple[EventRecord, ...]
    supplements: tuple[SupplementRecord, ...]
    appointments: tuple[tuple[dt.datetime, dt.datetime], ...]

    def as_of(self, now: dt.datetime) -> DossierRecord | None:
        """The record the source system would give at `now`, or None before its receipt."""
        events = tuple(e for e in self.events if e.at <= now)
        if not events:
            return None
        first = {e.status: e.at for e in reversed(events)}
        rounds = tuple(
            SupplementRecord(s.requested_at, s.completed_at if s.completed_at and
                             s.completed_at <= now else None, s.note)
            for s in self.supplements if s.requested_at <= now
        )
        due = [appointment for since, appointment in self.appointments if since <= now][-1]
        return DossierRecord(
            **self.base, status=events[-1].status, source_modified_at=events[-1].at,
            source_status=events[-1].status.name.lower(), source_due_at=due,
            finished_at=first.get(Status.RESOLVED), returned_at=first.get(Status.RETURNED),
            stopped_at=first.get(Status.STOPPED) or first.get(Status.WITHDRAWN),
            events=events, supplements=rounds,
            electronic_result=Status.RESOLVED in first and self.base["digitized"],
        )


class SimulatorConnector(Connector):
    """Generates a realistic, repeatable flow of dossiers for one commune."""

    type_name = "simulator"
    options_schema = SimulatorOptions
    uses_calendar = True

    def __init__(self, name: str, options: dict[str, Any],
                 calendar: WorkCalendar | None = None) -> None:
        super().__init__(name, options)
        self.calendar = calendar or WorkCalendar()
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
        tz = self.calendar.tz
        first_day = since.astimezone(tz).date() - dt.timedelta(days=MAX_LIFETIME_DAYS)
        if "resume_day" in cursor:
            first_day = max(first_day, dt.date.fromisoformat(cursor["resume_day"]))
        day, last_day = first_day, now.astimezone(tz).date()
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
        """Yield every dossier received on `day` (none on days off)."""
        if not self.calendar.is_working_day(day):
            return
        rng = random.Random(f"{self.options['seed']}:{day.isoformat()}")
        count = rng.randint(self.options["per_day_min"], self.options["per_day_max"])
        # Receipts spread over office hours, the last ones a little before closing.
        spread = self.calendar.office_day * 0.97
        opening = self.calendar.opening(day)
        times = sorted(_office(self.calendar, opening, spread * rng.random())
                       for _ in range(count))
        for number, received in enumerate(times, start=1):
            yield self.story(day, number, received)

    def story(self, day: dt.date, number: int, received: dt.datetime) -> Story:
        """Draw one dossier's life."""
        rng = random.Random(f"{self.options['seed']}:{day.isoformat()}:{number}")
        spec = rng.choices(self.catalogue, self.weights)[0]
        channel = rng.choices(list(Channel), [55, 40, 5])[0]
        code = f"{self.options['unit_code']}-{day:%y%m%d}-{number:04d}"
        department = DEPARTMENTS.get(spec.domain_name, DEFAULT_DEPARTMENT)
        office = _Office(self.calendar, rng, spec)
        lax = rng.random() < self.options["lax_share"]
        events, supplements = office.life(received, department, self.options["late_share"])
        starts = [received, *(s.completed_at for s in supplements if s.completed_at)]
        appointments = tuple((start, office.appointment(start, lax)) for start in starts)
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
            # Citizens file online at any hour; the office receives in office hours.
            "filed_at": (received - dt.timedelta(hours=rng.randint(1, 30))
                         if channel is Channel.ONLINE else received),
            "fee_due": spec.domain_name == "Chứng thực", "paid_online":
                channel is Channel.ONLINE and rng.random() < 0.5,
            "digitized": rng.random() < 0.7,
        }
        return Story(base=base, events=tuple(events), supplements=tuple(supplements),
                     appointments=appointments)


def _office(cal: WorkCalendar, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
    """`amount` of office time after `start`, to the minute, inside office hours."""
    instant = cal.add_working_time(start, amount).replace(second=0, microsecond=0)
    # add_working_time may end exactly at a closing (11:30, 17:00), which is not office time.
    return instant if cal.is_office_time(instant) else cal.next_office_instant(instant)


@dataclass(frozen=True)
class _Office:
    """How the simulated office handles one dossier: its calendar, its dice, its procedure."""

    cal: WorkCalendar
    rng: random.Random
    spec: ProcedureSpec

    def days(self, low: float, high: float) -> dt.timedelta:
        """A random amount of office time between `low` and `high` working days."""
        return self.cal.office_day * self.rng.uniform(low, high)

    def appointment(self, start: dt.datetime, lax: bool) -> dt.datetime:
        """The due date printed when the clock (re)starts: the law's, or 1-3 days later."""
        due = due_at(self.cal, start, self.spec.limit_value, self.spec.limit_unit)
        if not lax:
            return due
        later = self.cal.add_working_days(self.cal.local(due).date(), self.rng.randint(1, 3))
        return self.cal.closing(later)

    def life(self, received: dt.datetime, department: str, late_share: float
             ) -> tuple[list[EventRecord], list[SupplementRecord]]:
        """Draw the history: acceptance, processing, maybe a supplement, then an ending."""
        rng, cal = self.rng, self.cal
        clerk = rng.choice(CLERKS)
        events = [EventRecord(received, Status.ACCEPTED, clerk, "Bộ phận Một cửa",
                              "Tiếp nhận hồ sơ")]
        moment = _office(cal, received, dt.timedelta(minutes=rng.randint(5, 90)))
        events.append(EventRecord(moment, Status.PROCESSING, clerk, department, "Chuyển xử lý"))
        supplements: list[SupplementRecord] = []
        limit = max(self.spec.limit_value, 1)
        roll = rng.random()
        if roll < 0.01:
            end = _office(cal, moment, self.days(0.1, limit))
            events.append(EventRecord(end, Status.WITHDRAWN, None, department,
                                      "Công dân rút hồ sơ"))
            return events, supplements
        start = received
        if roll < 0.10:
            # Decree 118/2025: the request goes out within 3 working days of receipt.
            asked = _office(cal, moment, self.days(0.1, min(limit, 3)))
            events.append(EventRecord(asked, Status.WAITING_SUPPLEMENT, None, department,
                                      "Yêu cầu bổ sung giấy tờ"))
            if rng.random() < 0.1:
                supplements.append(SupplementRecord(asked, None, "Yêu cầu bổ sung giấy tờ"))
                closed = cal.next_office_instant(asked + dt.timedelta(days=16))
                events.append(EventRecord(closed, Status.STOPPED, None, department,
                                          "Quá hạn bổ sung, dừng xử lý"))
                return events, supplements
            moment = start = _office(cal, asked, self.days(0.5, 5))
            supplements.append(SupplementRecord(asked, moment, "Yêu cầu bổ sung giấy tờ"))
            events.append(EventRecord(moment, Status.PROCESSING, clerk, department,
                                      "Đã bổ sung"))
        resolved = self.finish(moment, start, rng.random() < late_share)
        events.append(EventRecord(resolved, Status.RESOLVED, None, department, "Đã có kết quả"))
        returned = _office(cal, resolved, cal.office_day * rng.choice([0.1, 0.5, 1, 2]))
        events.append(EventRecord(returned, Status.RETURNED, clerk, "Bộ phận Một cửa",
                                  "Trả kết quả"))
        return events, supplements

    def finish(self, moment: dt.datetime, start: dt.datetime, late: bool) -> dt.datetime:
        """When the result is ready: within the statutory limit from `start`, or after it."""
        due = due_at(self.cal, start, self.spec.limit_value, self.spec.limit_unit)
        if late:
            return _office(self.cal, due, self.days(0.1, 3))
        room = max(self.cal.working_time_between(moment, due), dt.timedelta())
        return _office(self.cal, moment, room * self.rng.uniform(0.05, 0.95))
