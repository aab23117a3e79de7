"""The portal's on-time rule (Decision 766/QĐ-TTg) and the whole-dossier evaluation."""

from __future__ import annotations

import datetime as dt

from service.calendar import WorkCalendar
from service.deadlines.dossier import DeadlineInput
from service.deadlines.due import due_at
from service.deadlines.verdict import (
    DeadlineResult,
    ReportDue,
    classify_finished,
    classify_open,
    judged_finish,
    near_window,
    reporting_due,
    source_audit,
)
from service.vocabulary import DeadlineClass, Outcome


def portal_waiting_time(cal: WorkCalendar, inp: DeadlineInput) -> dt.timedelta:
    """Return the working time between each 'yêu cầu bổ sung' and its 'hoàn thành bổ sung'."""
    total = dt.timedelta()
    for item in inp.supplements:
        if item.completed_at is not None:
            total += cal.working_time_between(item.requested_at, item.completed_at)
    return total


def portal_due_at(cal: WorkCalendar, inp: DeadlineInput,
                  waiting: dt.timedelta | None = None,
                  original: dt.datetime | None = None) -> dt.datetime:
    """Return the portal's due instant: no restart, pushed later by the waiting working time.

    `waiting` is `portal_waiting_time(cal, inp)` and `original` the due date counted from
    receipt, when the caller has them already.
    """
    if original is None:
        original = due_at(cal, inp.received_at, inp.limit, inp.unit)
    if waiting is None:
        waiting = portal_waiting_time(cal, inp)
    return cal.add_working_time(original, waiting) if waiting else original


def portal_verdict(
    cal: WorkCalendar, inp: DeadlineInput, now: dt.datetime, near_fraction: float = 0.2,
    due: dt.datetime | None = None,
) -> Outcome | DeadlineClass:
    """Return what the portal will say: an Outcome when finished, else a DeadlineClass.

    More than one supplementation request makes the dossier late whatever its dates.
    `due` is `portal_due_at(cal, inp)` when the caller has it already.
    """
    finish = judged_finish(inp)
    several = len(inp.supplements) > 1
    if several:
        return Outcome.LATE if finish is not None else DeadlineClass.OVERDUE
    if finish is None and inp.paused:
        return DeadlineClass.PAUSED
    due = portal_due_at(cal, inp) if due is None else due
    if finish is not None:
        return classify_finished(cal, finish, due)
    window = near_window(cal, inp, inp.received_at, near_fraction)
    return classify_open(cal, now, due, window)


def evaluate(
    cal: WorkCalendar,
    inp: DeadlineInput,
    now: dt.datetime,
    near_fraction: float = 0.2,
    extension_counts_late: bool = True,
    report_due: ReportDue = "source",
) -> DeadlineResult:
    """Derive the legal due, the citizen's due, both verdicts and the source audit at now.

    Supplements restart the legal limit from zero at their completion (Decree 118/2025);
    while waiting for the applicant a dossier is PAUSED, never near or overdue.
    """
    legal = due_at(cal, inp.clock_start, inp.limit, inp.unit)
    reference, basis = reporting_due(inp, legal, extension_counts_late, report_due)
    finish = judged_finish(inp)
    outcome = progress = remaining = None
    if finish is not None:
        outcome = classify_finished(cal, finish, reference)
    elif inp.paused:
        progress = DeadlineClass.PAUSED
    else:
        window = near_window(cal, inp, inp.clock_start, near_fraction)
        progress = classify_open(cal, now, reference, window)
        remaining = cal.working_time_between(now, reference)
    portal_waiting = portal_waiting_time(cal, inp)
    from_receipt = legal if inp.clock_start == inp.received_at else None  # no restart yet
    portal_due = portal_due_at(cal, inp, portal_waiting, from_receipt)
    portal = portal_verdict(cal, inp, now, near_fraction, portal_due)
    return DeadlineResult(
        clock_start=inp.clock_start,
        legal_due=legal,
        effective_due=(cal.local(inp.extension.new_due_at)
                       if inp.extension and not inp.extension.late else legal),
        reference_due=cal.local(reference),
        basis=basis,
        outcome=outcome,
        progress=progress,
        remaining=remaining,
        portal_due=portal_due,
        portal_waiting=portal_waiting,
        portal_outcome=portal if isinstance(portal, Outcome) else None,
        portal_progress=portal if isinstance(portal, DeadlineClass) else None,
        source_audit=source_audit(cal, inp, legal),
    )
