"""Statutory deadlines of dossiers: due dates, restarts, extension, verdicts, explanations.

Pure functions over a WorkCalendar; every instant is timezone-aware and passed in.
"""

from service.deadlines.dossier import (
    DeadlineInput,
    Extension,
    ExtensionError,
    SupplementRound,
    apology_late,
    check_extension,
    finishing_instant,
    with_extension,
)
from service.deadlines.due import as_unit, due_at, limit_working_time, same_day_due_date
from service.deadlines.explanation import explain, explain_due
from service.deadlines.scoring import evaluate, portal_due_at, portal_verdict, portal_waiting_time
from service.deadlines.verdict import (
    DeadlineResult,
    ReportDue,
    SourceAudit,
    classify_finished,
    classify_open,
    near_window,
    source_audit,
)
from service.vocabulary import DeadlineClass, LimitUnit, Outcome

__all__ = [
    "DeadlineClass", "DeadlineInput", "DeadlineResult", "Extension", "ExtensionError",
    "LimitUnit", "Outcome", "ReportDue", "SourceAudit", "SupplementRound", "apology_late",
    "as_unit", "check_extension",
    "classify_finished", "classify_open", "due_at", "evaluate", "explain", "explain_due",
    "finishing_instant", "limit_working_time", "near_window", "portal_due_at",
    "portal_verdict", "portal_waiting_time", "same_day_due_date", "source_audit",
    "with_extension",
]
