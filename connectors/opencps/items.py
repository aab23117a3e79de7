"""Turn one OpenCPS dossier item into a canonical record, through the configured status maps.

Quirks of the list API this module absorbs: dates are text in local time and "" or null when
unset, `applicantName` and `lastActionUser` arrive upper-cased while `contactName` keeps the
citizen's own spelling, `modifiedDate` is always "" (the list reads an index field nobody
writes), a desk-received dossier sits in `new` with its receipt date set, and `lockState`
`PAUSE_OVERDUE` is never cleared once set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import DossierRecord, EventRecord, SupplementRecord
from connectors.names import same_name, tidy, title_case
from service.vocabulary import Channel, LimitUnit, Status

# Portal codes of OpenCPS statuses; `correcting` and `cancelling` have no agreed code and stay
# unmapped, so they show up in quarantine until an administrator decides.
DEFAULT_STATUS_MAP = {
    "new": 1, "receiving": 1, "denied": 3, "processing": 4, "interoperating": 4,
    "waiting": 5, "paying": 6, "cancelled": 7, "unresolved": 8, "releasing": 9,
    "posting": 9, "done": 10,
}
DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
APPLICANT_TYPES = {"citizen": 1, "business": 2, "organization": 3}
# OpenCPS counts a working day as 8 hours.
HOURS_PER_DAY = 8
# Everything the record is built from, hence what a change must touch to matter. The list's
# clock-driven texts (`dossierOverdue` "Quá 2 ngày", `stepOverdue`, `dueDateComing`) change on
# every sweep and are left out; so is `modifiedDate`, always "".
CONTENT_FIELDS = (
    "dossierNo", "serviceCode", "serviceName", "govAgencyCode", "govAgencyName", "domainCode",
    "domainName", "dossierName", "applicantName", "applicantIdType", "applicantIdNo",
    "contactName", "contactTelNo", "contactEmail", "online", "fromViaPostal", "durationCount",
    "durationUnit", "currentActionUser", "createDate", "submitDate", "receiveDate", "dueDate",
    "extendDate", "releaseDate", "finishDate", "cancellingDate", "correctingDate",
    "dossierStatus", "dossierSubStatus", "lockState", "lastActionDate", "lastActionName",
    "lastActionNote", "lastActionUser",
)
DATE_FIELDS = ("createDate", "submitDate", "receiveDate", "dueDate", "releaseDate",
               "finishDate", "lastActionDate")
# Statuses a dossier can have without ever being received: registered online and not yet
# accepted, or refused at the desk (OpenCPS leaves `receiveDate` empty on such a refusal).
UNRECEIVED = (Status.REGISTERED, Status.NOT_ACCEPTED)
# Endings that close a dossier while its supplement is still awaited: the request stays open,
# so the dossier is judged at the request (waiting time never makes a dossier late).
ENDED_WAITING = (Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED)
SUPPLEMENT_NOTE = "Yêu cầu bổ sung giấy tờ"


def content_print(item: dict[str, Any]) -> str:
    """A short digest of what the item says; equal digests mean nothing worth storing changed."""
    values = tuple(map(item.get, CONTENT_FIELDS))
    return hashlib.blake2b(repr(values).encode(), digest_size=8).hexdigest()


def parse_item(item: dict[str, Any], options: dict[str, Any], zone: ZoneInfo,
               requested_at: dt.datetime | None = None) -> DossierRecord:
    """Map an item of GET /o/rest/v2/dossiers; raise ValueError naming the field at fault.

    `requested_at` is when the dossier was first seen waiting for a supplement, if it was: the
    list gives no history, so the connector remembers it to close the round on resumption.
    """
    source_id = _text(item, "dossierId", required=True)
    code = _text(item, "dossierNo", required=True)
    dates = {name: _date(item, name, zone) for name in DATE_FIELDS}
    status = map_status(item, options, dates["receiveDate"])
    received = dates["receiveDate"]
    if received is None and status in UNRECEIVED:
        received = dates["submitDate"] or dates["createDate"]
    if received is None:
        raise ValueError(f"hồ sơ {code}: receiveDate (ngày tiếp nhận) trống trong khi trạng "
                         f"thái là «{status.label}»")
    limit_value, limit_unit = _limit(item, code)
    finished, returned, stopped = _endings(status, dates)
    raw_name = _text(item, "applicantName", required=True)
    kind = str(item.get("applicantIdType") or "citizen")
    shown = applicant_name(raw_name, _text(item, "contactName"), kind)
    return DossierRecord(
        code=code, source_id=source_id,
        unit_code=options.get("unit_code") or _text(item, "govAgencyCode", required=True),
        unit_name=options.get("unit_name") or _text(item, "govAgencyName"),
        procedure_code=_text(item, "serviceCode", required=True),
        procedure_name=_text(item, "serviceName") or "",
        domain_code=_text(item, "domainCode"), domain_name=_text(item, "domainName") or "",
        limit_value=limit_value, limit_unit=limit_unit,
        summary=_text(item, "dossierName"),
        applicant_name=shown, source_applicant_name=raw_name if raw_name != shown else None,
        applicant_id_no=_text(item, "applicantIdNo"),
        applicant_phone=_text(item, "contactTelNo"),
        applicant_email=_text(item, "contactEmail"),
        applicant_type=APPLICANT_TYPES.get(kind, 1),
        channel=_channel(item), handler=_text(item, "currentActionUser"),
        filed_at=dates["submitDate"], received_at=received, source_due_at=dates["dueDate"],
        status=status, source_status=_text(item, "dossierStatus"),
        source_sub_status=_text(item, "dossierSubStatus"),
        finished_at=finished, returned_at=returned, stopped_at=stopped,
        events=_events(item, status, dates),
        supplements=_supplements(status, dates["lastActionDate"], requested_at),
    )


def map_status(item: dict[str, Any], options: dict[str, Any],
               received: dt.datetime | None) -> Status:
    """Sub-status first, then the status, as OpenCPS's own portal sync maps them.

    `lockState` plays no part: `PAUSE` is set for supplements and payments alike (the status
    or sub-status says which), and `PAUSE_OVERDUE` stays set after processing resumes.
    """
    status, sub = str(item.get("dossierStatus") or ""), str(item.get("dossierSubStatus") or "")
    code = options["sub_status_map"].get(sub) if sub else None
    if code is None:
        code = options["status_map"].get(status)
    if code is None:
        raise ValueError(f"hồ sơ {item.get('dossierNo')}: trạng thái OpenCPS {status!r} "
                         f"(trạng thái con {sub!r}) chưa có trong status_map; quản trị viên "
                         "cần khai báo nó trong cấu hình")
    mapped = Status(code)
    if mapped is Status.REGISTERED and received is not None:
        # OpenCPS creates a desk-received dossier directly in `new` with its receipt date set:
        # the clock already runs, so it is received, not merely registered.
        return Status.ACCEPTED
    return mapped


def applicant_name(raw: str, contact: str | None, kind: str) -> str:
    """The name to show: the contact's own spelling when it is the applicant, else readable.

    OpenCPS upper-cases `applicantName` in the list. A citizen's name is re-cased word by
    word; a business or organisation keeps the upper case its registration uses ("CÔNG TY
    TNHH ..."), which re-casing would garble.
    """
    if contact and same_name(contact, raw):
        return tidy(contact)
    return title_case(raw) if kind == "citizen" else tidy(raw)


def _text(item: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        if value is None or value == "":
            if required:
                raise ValueError(f"hồ sơ {item.get('dossierNo') or item.get('dossierId')}: "
                                 f"thiếu trường {name}")
            return None
        raise ValueError(f"hồ sơ {item.get('dossierNo')}: trường {name} phải là chữ, "
                         f"nhận được {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise ValueError(f"hồ sơ {item.get('dossierNo') or item.get('dossierId')}: "
                         f"trường {name} trống")
    return text or None


def _date(item: dict[str, Any], name: str, zone: ZoneInfo) -> dt.datetime | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(value.strip(), fmt).replace(tzinfo=zone)
            except ValueError:
                continue
    raise ValueError(f"hồ sơ {item.get('dossierNo')}: trường {name} = {value!r} không phải "
                     "ngày giờ dạng dd/MM/yyyy HH:mm:ss")


def _limit(item: dict[str, Any], code: str) -> tuple[int | None, LimitUnit | None]:
    """durationCount/durationUnit (0 days of 8 h, 1 hours): used when the procedure is unknown.

    A `durationCount` of 0 means the procedure has no time limit (OpenCPS then sets no due
    date), not that it is due the same day.
    """
    count, unit = item.get("durationCount"), item.get("durationUnit")
    if count in (None, ""):
        return None, None
    try:
        count, unit = float(count), int(unit or 0)
    except (TypeError, ValueError):
        raise ValueError(f"hồ sơ {code}: durationCount/durationUnit {count!r}/{unit!r} "
                         "không phải số") from None
    if count < 0 or unit not in (0, 1):
        raise ValueError(f"hồ sơ {code}: thời hạn {count} đơn vị {unit} không hiểu được "
                         "(đơn vị 0 là ngày làm việc, 1 là giờ làm việc)")
    if count == 0:
        return 0, LimitUnit.NONE
    if unit == 0 and count.is_integer():
        return int(count), LimitUnit.WORKING_DAYS
    hours = count * HOURS_PER_DAY if unit == 0 else count
    return max(1, round(hours)), LimitUnit.WORKING_HOURS


def _channel(item: dict[str, Any]) -> Channel:
    if str(item.get("online")).lower() == "true":
        return Channel.ONLINE
    if str(item.get("fromViaPostal")) == "1":
        return Channel.POSTAL
    return Channel.DIRECT


def _endings(status: Status, dates: dict[str, dt.datetime | None]
             ) -> tuple[dt.datetime | None, dt.datetime | None, dt.datetime | None]:
    """finished (result ready), returned (handed over), stopped; by what the status says."""
    last = dates["lastActionDate"]
    if status in (Status.RESOLVED, Status.RETURNED):
        finished = dates["releaseDate"] or dates["finishDate"] or last
        returned = (dates["finishDate"] or last) if status is Status.RETURNED else None
        return finished, returned, None
    if status in (Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED):
        return None, None, dates["finishDate"] or last
    return None, None, None


def _events(item: dict[str, Any], status: Status, dates: dict[str, dt.datetime | None]
            ) -> tuple[EventRecord, ...]:
    """The list gives no history: the receipt, if there was one, and the latest action.

    Sweeps add up: each new action seen adds its line, and stored lines are never changed.
    """
    events = []
    received, last = dates["receiveDate"], dates["lastActionDate"]
    if received is not None:
        events.append(EventRecord(received, Status.ACCEPTED, None, None, "Tiếp nhận hồ sơ"))
    if last is not None and not (received is not None and status is Status.ACCEPTED):
        note = " - ".join(str(part) for part in (item.get("lastActionName"),
                                                 item.get("lastActionNote")) if part)
        actor = _text(item, "lastActionUser")
        events.append(EventRecord(last, status, title_case(actor) if actor else None,
                                  _text(item, "currentActionUser"), note or None))
    return tuple(events)


def _supplements(status: Status, last_action: dt.datetime | None,
                 requested_at: dt.datetime | None) -> tuple[SupplementRecord, ...]:
    """The open supplement round while the dossier waits; the round closed once it resumed.

    The resumption is dated by the latest action the sweep sees after the wait; a sweep every
    few minutes sees the resuming action itself in all but rare cases.
    """
    if status is Status.WAITING_SUPPLEMENT:
        asked = requested_at or last_action
        return (SupplementRecord(asked, None, SUPPLEMENT_NOTE),) if asked else ()
    if (requested_at is None or status in ENDED_WAITING or last_action is None
            or last_action < requested_at):
        return ()
    return (SupplementRecord(requested_at, last_action, SUPPLEMENT_NOTE),)
