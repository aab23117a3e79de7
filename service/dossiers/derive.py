"""Dossier-level deadline rules: the columns stored with each dossier, explanations, extension."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.calendar import CalendarSettings, WorkCalendar
from service.config.settings import Settings
from service.deadlines import (
    DeadlineInput,
    DeadlineResult,
    Extension,
    SupplementRound,
    evaluate,
    explain,
    finishing_instant,
    near_window,
)
from service.models import Dossier, Procedure
from service.vocabulary import LimitUnit, Outcome

NO_LIMIT_TEXT = ("Thủ tục này không quy định thời hạn giải quyết: hồ sơ không có hạn trả kết "
                 "quả và không bao giờ quá hạn.")


@dataclass(frozen=True)
class DeadlinePolicy:
    """The calendar and the [deadlines] switches every evaluation uses."""

    calendar: WorkCalendar
    near_fraction: float
    extension_counts_late: bool
    report_due: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DeadlinePolicy:
        """Build the policy from the typed configuration ([calendar] and [deadlines])."""
        calendar = WorkCalendar(CalendarSettings.from_config(settings.calendar,
                                                             settings.timezone))
        section = settings.deadlines
        return cls(calendar=calendar, near_fraction=section.near_fraction,
                   extension_counts_late=section.extension_counts_late,
                   report_due=section.report_due)

    def evaluate(self, inp: DeadlineInput, now: dt.datetime) -> DeadlineResult:
        """Evaluate one dossier at `now` under this policy."""
        return evaluate(self.calendar, inp, now, self.near_fraction,
                        self.extension_counts_late, self.report_due)  # type: ignore[arg-type]


def deadline_input(values: dict[str, Any], procedure: Procedure,
                   rounds: Sequence[Any], extension_reason: str | None = None) -> DeadlineInput:
    """The engine's view of a dossier, from column values and its supplement rounds.

    Raises ValueError naming the field when the dates contradict each other.
    """
    extension = values.get("extension_due_at")
    late = bool(values.get("extension_late"))
    return DeadlineInput(
        received_at=values["received_at"], limit=procedure.limit_value,
        unit=procedure.limit_unit,
        supplements=tuple(SupplementRound(r.requested_at, r.completed_at)
                          for r in sorted(rounds, key=lambda r: r.requested_at)),
        extension=Extension(extension, extension_reason or "", late) if extension else None,
        finished_at=finishing_instant(values.get("finished_at"), values.get("returned_at"),
                                      values.get("stopped_at")),
        waiting=values["status"].is_paused, source_due_at=values.get("source_due_at"))


def deadline_columns(policy: DeadlinePolicy, inp: DeadlineInput,
                     now: dt.datetime) -> dict[str, Any]:
    """The stored deadline columns: dues, the instant 'near' begins, verdicts, handling time.

    `due_at` is the date the dossier is watched against: the apology's new date once issued
    in time (alerts then follow the citizen's date), else the source or statutory date per
    configuration; a late apology moves nothing. Outcomes of finished dossiers follow
    `extension_counts_late`.
    """
    result = policy.evaluate(inp, now)
    timely = inp.extension is not None and not inp.extension.late
    watched = result.effective_due if timely else result.reference_due
    near_at = None
    if inp.finished_at is None and not inp.paused:
        cal = policy.calendar
        total = cal.working_time_between(result.clock_start, watched)
        window = near_window(cal, inp, result.clock_start, policy.near_fraction)
        near_at = (cal.add_working_time(result.clock_start, total - window)
                   if total > window else result.clock_start)
    return {"statutory_due_at": result.legal_due, "due_at": watched, "near_at": near_at,
            "portal_due_at": result.portal_due, "outcome": result.outcome,
            "portal_outcome": result.portal_outcome,
            **handling_columns(policy.calendar, inp.received_at, inp.finished_at)}


def handling_columns(cal: WorkCalendar, received_at: dt.datetime,
                     finished_at: dt.datetime | None) -> dict[str, int | None]:
    """Receipt to finish in whole minutes of office time and of calendar time (None if open)."""
    if finished_at is None:
        return {"handling_working_min": None, "handling_elapsed_min": None}
    working = cal.working_time_between(received_at, finished_at)
    return {"handling_working_min": int(working.total_seconds()) // 60,
            "handling_elapsed_min": int((finished_at - received_at).total_seconds()) // 60}


def no_limit_columns(values: dict[str, Any]) -> dict[str, Any]:
    """The deadline columns of a dossier whose procedure sets no time limit.

    No due date, so never near or overdue; once finished it counts as on time, as OpenCPS's
    own list marks a dossier without a due date ("Đúng hạn").
    """
    finished = finishing_instant(values.get("finished_at"), values.get("returned_at"),
                                 values.get("stopped_at"))
    outcome = Outcome.ON_TIME if finished is not None else None
    return {"statutory_due_at": None, "due_at": None, "near_at": None, "portal_due_at": None,
            "outcome": outcome, "portal_outcome": outcome}


def make_deriver(settings: Settings, policy: DeadlinePolicy | None = None) -> Any:
    """Return the function that fills a dossier's deadline columns during ingestion."""
    policy = policy or DeadlinePolicy.from_settings(settings)

    def derive(values: dict[str, Any], procedure: Procedure, supplements: Sequence[Any],
               now: dt.datetime) -> None:
        from service.ingest import RecordError

        if procedure.limit_unit is LimitUnit.NONE:
            values.update(no_limit_columns(values))
            return
        try:
            inp = deadline_input(values, procedure, supplements)
        except ValueError as exc:
            raise RecordError(engine_reason(exc)) from None
        values.update(deadline_columns(policy, inp, now))

    return derive


# The deadline engine's refusals, as the reason a clerk reads beside a quarantined record.
ENGINE_REASONS = (
    (re.compile(r"finished_at is before received_at"),
     "ngày kết thúc xử lý («Ngày có kết quả» hoặc «Ngày trả kết quả») trước «Ngày tiếp nhận»; "
     "cần ngày giờ từ lúc tiếp nhận trở đi"),
    (re.compile(r"supplement round (\d+) is requested before the previous step"),
     r"lần yêu cầu bổ sung thứ \1 có ngày yêu cầu trước bước trước đó (ngày tiếp nhận hoặc lần "
     r"bổ sung trước)"),
    (re.compile(r"supplement round (\d+) is open but a later round exists"),
     r"lần yêu cầu bổ sung thứ \1 chưa có ngày hoàn thành nhưng đã có lần sau"),
    (re.compile(r"supplement round (\d+) is completed before it was requested"),
     r"lần yêu cầu bổ sung thứ \1 có ngày hoàn thành trước ngày yêu cầu"),
    (re.compile(r"a working_days limit is at least 1, got (-?\d+)"),
     r"«Thời hạn giải quyết» \1 ngày làm việc không hợp lệ; cần ít nhất 1 ngày"),
    (re.compile(r"a working_hours limit must not be negative, got (-?\d+)"),
     r"«Thời hạn giải quyết» \1 giờ làm việc không hợp lệ; cần số giờ không âm"),
    (re.compile(r"a same_day limit is 0, got (-?\d+)"),
     r"thời hạn «trong ngày» không ghi số ngày (đang ghi \1)"),
)


def engine_reason(exc: ValueError) -> str:
    """The engine's refusal of a record's dates or limit, in Vietnamese, naming the field."""
    text = str(exc)
    for pattern, reason in ENGINE_REASONS:
        match = pattern.search(text)
        if match is not None:
            return match.expand(reason)
    return f"ngày tháng hoặc thời hạn của hồ sơ không nhất quán ({text})"


def dossier_input(row: Dossier) -> DeadlineInput:
    """The engine's view of a stored dossier (its supplement rounds loaded)."""
    values = {name: getattr(row, name) for name in (
        "received_at", "extension_due_at", "extension_late", "finished_at", "returned_at",
        "stopped_at", "status", "source_due_at")}
    return deadline_input(values, row.procedure, row.supplements, row.extension_reason)


def explain_dossier(policy: DeadlinePolicy, row: Dossier, now: dt.datetime
                    ) -> tuple[DeadlineResult | None, list[str]]:
    """The evaluation of a stored dossier and its explanation lines in Vietnamese.

    The evaluation is None when the procedure sets no time limit: there is nothing to count.
    """
    if row.procedure.limit_unit is LimitUnit.NONE:
        return None, [NO_LIMIT_TEXT]
    inp = dossier_input(row)
    result = policy.evaluate(inp, now)
    return result, explain(policy.calendar, inp, result)
