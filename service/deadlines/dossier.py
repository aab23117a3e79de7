"""What the deadline engine needs to know about one dossier, and its apology extension."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from service.calendar import WorkCalendar
from service.deadlines.due import as_unit, check_limit, due_at
from service.vocabulary import LimitUnit


class ExtensionError(ValueError):
    """An apology extension that the rules refuse (a second one, or one not moving later).

    `str()` is the operator's English; `vietnamese` is what a clerk reads on the form.
    """

    def __init__(self, message: str, vietnamese: str) -> None:
        super().__init__(message)
        self.vietnamese = vietnamese


@dataclass(frozen=True)
class SupplementRound:
    """One request for supplementation and, once the applicant answered, its completion."""

    requested_at: dt.datetime
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Extension:
    """The one apology letter (phiếu xin lỗi và hẹn lại ngày trả kết quả) allowed per dossier.

    `late` marks a letter recorded after the last day the decree allows (`apology_late`): the
    citizen still gets it and its new date, but it moves no verdict and no deadline class.
    """

    new_due_at: dt.datetime
    reason: str
    late: bool = False


@dataclass(frozen=True)
class DeadlineInput:
    """A dossier as the deadline engine sees it; all instants are timezone-aware.

    `waiting` is true while the dossier's status is waiting for a supplement or a payment;
    `finished_at` is the finishing instant of docs/domain.md (Statuses) (see `finishing_instant`).
    """

    received_at: dt.datetime
    limit: int
    unit: LimitUnit
    supplements: tuple[SupplementRound, ...] = ()
    extension: Extension | None = None
    finished_at: dt.datetime | None = None
    waiting: bool = False
    source_due_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", as_unit(self.unit))
        check_limit(self.limit, self.unit)
        for name in ("received_at", "finished_at", "source_due_at"):
            _require_aware(getattr(self, name), name)
        if self.extension is not None:
            _require_aware(self.extension.new_due_at, "extension.new_due_at")
        _check_rounds(self.received_at, self.supplements)
        if self.finished_at is not None and self.finished_at < self.received_at:
            raise ValueError("finished_at is before received_at")

    @property
    def open_round(self) -> SupplementRound | None:
        """Return the supplement request still waiting for the applicant, if any."""
        if self.supplements and self.supplements[-1].completed_at is None:
            return self.supplements[-1]
        return None

    @property
    def clock_start(self) -> dt.datetime:
        """Return where the legal limit counts from: the last completed supplement or receipt."""
        done = [r.completed_at for r in self.supplements if r.completed_at is not None]
        return done[-1] if done else self.received_at

    @property
    def paused(self) -> bool:
        """Tell whether the dossier waits for the applicant (supplement or payment)."""
        return self.waiting or self.open_round is not None


def _require_aware(value: dt.datetime | None, name: str) -> None:
    """Refuse a naive datetime, naming the field."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")


def _check_rounds(received_at: dt.datetime, rounds: tuple[SupplementRound, ...]) -> None:
    """Require rounds in order, each completed after its request, and only the last open."""
    previous = received_at
    for number, item in enumerate(rounds, start=1):
        _require_aware(item.requested_at, f"supplements[{number}].requested_at")
        _require_aware(item.completed_at, f"supplements[{number}].completed_at")
        if item.requested_at < previous:
            raise ValueError(f"supplement round {number} is requested before the previous step")
        if item.completed_at is None and number != len(rounds):
            raise ValueError(f"supplement round {number} is open but a later round exists")
        if item.completed_at is not None and item.completed_at < item.requested_at:
            raise ValueError(f"supplement round {number} is completed before it was requested")
        previous = item.completed_at or item.requested_at


def apology_late(cal: WorkCalendar, moved_due: dt.datetime, issued_at: dt.datetime) -> bool:
    """Whether an apology recorded at `issued_at` comes too late for the due date it moves.

    Decree 118/2025 Art. 19.6: the handling body sends the apology and the new date "chậm
    nhất 01 ngày trước ngày hết hạn", at the latest one day before the day the limit expires.
    One *calendar* day: wherever the decree means working time it says so ("03 ngày làm
    việc", "08 giờ làm việc"), and here it says "ngày"; the Civil Code 2015 counts periods by
    the solar calendar (Art. 145) and a day-long period ends at the end of that day (Art. 148).
    So the apology is timely when recorded on a local date strictly before the local date of
    the due instant, at any hour of that earlier date, and late from 00:00 of the due date
    on. For a dossier due on Monday a letter recorded on Sunday is still timely; the office's
    last working day before it (Friday) is when the dashboard and the alerts ask for it.
    """
    _require_aware(issued_at, "extension.issued_at")
    return cal.local(issued_at).date() >= cal.local(moved_due).date()


def check_extension(moved_due: dt.datetime, new_due_at: dt.datetime,
                    existing: Extension | None, cal: WorkCalendar | None = None,
                    issued_at: dt.datetime | None = None) -> bool:
    """The one extension rule (Decree 118/2025 Art. 19.6): once only, to a later date.

    `moved_due` is the due date the apology moves: the one the citizen holds before it.
    Raises ExtensionError for a second extension or a date not later; otherwise returns
    whether the apology is late (`apology_late`, needs `cal` and `issued_at`; False without).
    A late apology is still recorded and printed: the citizen is owed the letter.
    """
    _require_aware(new_due_at, "extension.new_due_at")
    if existing is not None:
        raise ExtensionError(
            "the due date was already moved once "
            f"(to {existing.new_due_at.isoformat()}); a second extension is not allowed",
            "Hồ sơ đã được hẹn lại một lần; quy định chỉ cho phép hẹn lại một lần.")
    if new_due_at <= moved_due:
        raise ExtensionError(
            f"the new due date {new_due_at.isoformat()} is not after "
            f"the due date {moved_due.isoformat()}",
            "Ngày hẹn trả mới phải sau hạn giải quyết hiện tại.")
    return cal is not None and issued_at is not None and apology_late(cal, moved_due, issued_at)


def with_extension(cal: WorkCalendar, inp: DeadlineInput, extension: Extension,
                   moved_due: dt.datetime | None = None,
                   issued_at: dt.datetime | None = None) -> DeadlineInput:
    """Return the dossier with its one apology extension (check_extension's rule).

    `moved_due` defaults to the legal due date; a caller that judges by the source system's
    appointment passes that instead. With `issued_at` the extension is marked late when it
    was recorded too late (`apology_late`).
    """
    if moved_due is None:
        moved_due = due_at(cal, inp.clock_start, inp.limit, inp.unit)
    late = check_extension(moved_due, extension.new_due_at, inp.extension, cal, issued_at)
    return replace(inp, extension=replace(extension, late=extension.late or late))


def finishing_instant(
    resolved_at: dt.datetime | None,
    returned_at: dt.datetime | None,
    ended_at: dt.datetime | None,
) -> dt.datetime | None:
    """Return the instant that counts as the finish (docs/domain.md, Statuses).

    The first available of: result ready (Đã xử lý xong), result returned (Đã trả kết quả),
    then stopped / refused / withdrawn.
    """
    for instant in (resolved_at, returned_at, ended_at):
        if instant is not None:
            return instant
    return None
