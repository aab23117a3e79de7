"""Dossier-level deadline rules: the columns stored with each dossier, explanations, extension."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.calendar import CalendarSettings, WorkCalendar
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


@dataclass(frozen=True)
class DeadlinePolicy:
    """The calendar and the [deadlines] switches every evaluation uses."""

    calendar: WorkCalendar
    near_fraction: float = 0.2
    extension_counts_late: bool = True
    report_due: str = "source"

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> DeadlinePolicy:
        """Build the policy from validated configuration."""
        calendar = WorkCalendar(CalendarSettings.from_config(settings["calendar"],
                                                             settings["timezone"]))
        section = settings["deadlines"]
        return cls(calendar=calendar, near_fraction=section["near_fraction"],
                   extension_counts_late=section["extension_counts_late"],
                   report_due=section["report_due"])

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


def make_deriver(settings: dict[str, Any], policy: DeadlinePolicy | None = None) -> Any:
    """Return the function that fills a dossier's deadline columns during ingestion."""
    policy = policy or DeadlinePolicy.from_settings(settings)

    def derive(values: dict[str, Any], procedure: Procedure, supplements: Sequence[Any],
               now: dt.datetime) -> None:
        from service.ingest import RecordError

        try:
            inp = deadline_input(values, procedure, supplements)
        except ValueError as exc:
            raise RecordError(f"inconsistent dates: {exc}") from None
        values.update(deadline_columns(policy, inp, now))

    return derive


def dossier_input(row: Dossier) -> DeadlineInput:
    """The engine's view of a stored dossier (its supplement rounds loaded)."""
    values = {name: getattr(row, name) for name in (
        "received_at", "extension_due_at", "extension_late", "finished_at", "returned_at",
        "stopped_at", "status", "source_due_at")}
    return deadline_input(values, row.procedure, row.supplements, row.extension_reason)


def explain_dossier(policy: DeadlinePolicy, row: Dossier, now: dt.datetime
                    ) -> tuple[DeadlineResult, list[str]]:
    """The evaluation of a stored dossier and its explanation lines in Vietnamese."""
    inp = dossier_input(row)
    result = policy.evaluate(inp, now)
    return result, explain(policy.calendar, inp, result)
