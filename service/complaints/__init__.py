"""Complaints and recommendations (phản ánh, kiến nghị, PAKN) about dossier handling.

Citizens send one about their dossier from the lookup page or from the public form; clerks
receive it, pass it to the handling body, answer and close it. Each has its own limit in
working days ([complaints], 15 by default: the Decision 766 criterion), watched by the
deadline scan and alerted like a dossier's.
"""

from service.complaints.citizen import (
    CitizenComplaint,
    complaints_of_dossier,
    is_complaint_code,
    lookup_complaint,
)
from service.complaints.policy import ComplaintPolicy, class_condition, complaint_class
from service.complaints.queries import (
    ComplaintFilter,
    complained_dossiers,
    complaint_page,
    scoped,
    visible,
)
from service.complaints.report import BodyCounts, ComplaintReport, complaint_report
from service.complaints.scan import ComplaintMove, scan_complaints
from service.complaints.store import (
    ComplaintError,
    answer,
    assign,
    close,
    normalise_phone,
    receive,
    submit_about_dossier,
    submit_public,
)

__all__ = [
    "BodyCounts", "CitizenComplaint", "ComplaintError", "ComplaintFilter", "ComplaintMove",
    "ComplaintPolicy", "ComplaintReport", "answer", "assign", "class_condition", "close",
    "complained_dossiers", "complaint_class", "complaint_page", "complaint_report",
    "complaints_of_dossier", "is_complaint_code", "lookup_complaint", "normalise_phone",
    "receive", "scan_complaints", "scoped", "submit_about_dossier", "submit_public", "visible",
]
