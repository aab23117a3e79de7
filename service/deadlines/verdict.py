"""Classify a dossier against its due dates: the statutory verdict and the portal's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from service.calendar import WorkCalendar
from service.deadlines.dossier import DeadlineInput
from service.deadlines.due import limit_working_time
from service.vocabulary import DeadlineClass, LabelledEnum, LimitUnit, Outcome

ReportDue = Literal["source", "statutory"]


class SourceAudit(LabelledEnum):
    """How the source system's appointment compares with the statutory due date."""

    LAX = ("lax", "Hẹn trả muộn hơn quy định")
    STRICT = ("strict", "Hẹn trả sớm hơn quy định")


@dataclass(frozen=True)
class DeadlineResult:
    """Everything derived about one dossier's deadline at one instant.

    `basis` names the due date that `outcome` / `progress` are measured against:
    "statutory", "source" (the appointment the citizen was given) or "extension".
    Exactly one of `outcome` (finished) and `progress` (open) is set; likewise for the portal.
    """

    clock_start: dt.datetime
    legal_due: dt.datetime
    effective_due: dt.datetime
    reference_due: dt.datetime
    basis: str
    outcome: Outcome | None
    progress: DeadlineClass | None
    remaining: dt.timedelta | None
    portal_due: dt.datetime
    portal_waiting: dt.timedelta
    portal_outcome: Outcome | None
    portal_progress: DeadlineClass | None
    source_audit: SourceAudit | None


def classify_finished(cal: WorkCalendar, finished_at: dt.datetime, due: dt.datetime) -> Outcome:
    """Early: finished on an earlier day than due; on time: that day, by the due instant."""
    finished, deadline = cal.local(finished_at), cal.local(due)
    if finished > deadline:
        return Outcome.LATE
    return Outcome.EARLY if finished.date() < deadline.date() else Outcome.ON_TIME


def near_window(
    cal: WorkCalendar, inp: DeadlineInput, start: dt.datetime, fraction: float
) -> dt.timedelta:
    """Return how much working time before the due instant counts as 'near'.

    The last `fraction` of the limit, and for day-based limits at least the last working day
    (an hour-based limit of a few hours would otherwise be 'near' from its first minute).
    """
    window = limit_working_time(cal, start, inp.limit, inp.unit) * fraction
    if inp.unit is LimitUnit.WORKING_HOURS:
        return window
    return max(window, cal.office_day)


def classify_open(
    cal: WorkCalendar, now: dt.datetime, due: dt.datetime, window: dt.timedelta
) -> DeadlineClass:
    """Overdue after the due instant, near within the window before it, else within."""
    if cal.local(now) > cal.local(due):
        return DeadlineClass.OVERDUE
    if cal.working_time_between(now, due) <= window:
        return DeadlineClass.NEAR
    return DeadlineClass.WITHIN


def judged_finish(inp: DeadlineInput) -> dt.datetime | None:
    """Return the instant a finished dossier is judged at.

    A dossier closed while waiting for the applicant's supplement is judged at the request:
    waiting time never makes a dossier late (Decree 118/2025: the limit restarts on completion).
    """
    if inp.finished_at is None:
        return None
    waiting = inp.open_round
    if waiting is not None and waiting.requested_at <= inp.finished_at:
        return waiting.requested_at
    return inp.finished_at


def reporting_due(
    inp: DeadlineInput, legal: dt.datetime, extension_counts_late: bool, report_due: ReportDue
) -> tuple[dt.datetime, str]:
    """Pick the due date reports measure against, and name it.

    With an extension that still counts late, a source appointment is used only when it is
    earlier than the new date: source systems overwrite their appointment with the new date.
    A late apology (`Extension.late`) never moves the verdict, whatever the configuration.
    """
    source = inp.source_due_at if report_due == "source" else None
    if inp.extension is not None:
        if not extension_counts_late and not inp.extension.late:
            return inp.extension.new_due_at, "extension"
        if source is not None and source >= inp.extension.new_due_at:
            source = None
    return (source, "source") if source is not None else (legal, "statutory")


def source_audit(
    cal: WorkCalendar, inp: DeadlineInput, legal: dt.datetime
) -> SourceAudit | None:
    """Compare the source system's due date with the statutory one (by day for day limits)."""
    if inp.source_due_at is None:
        return None
    source, statutory = cal.local(inp.source_due_at), cal.local(legal)
    if inp.unit is not LimitUnit.WORKING_HOURS:
        source = cal.at(source.date(), dt.time(0))
        statutory = cal.at(statutory.date(), dt.time(0))
    if source > statutory:
        return SourceAudit.LAX
    return SourceAudit.STRICT if source < statutory else None
