"""Turn one OpenCPS dossier item into a canonical record, through the configured status maps."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import DossierRecord, EventRecord, SupplementRecord
from service.vocabulary import Channel, LimitUnit, Status

# The portal's status codes as OpenCPS maps its own; `correcting` and `cancelling` have no
# agreed code and stay unmapped, so they show up in quarantine until an administrator decides.
DEFAULT_STATUS_MAP = {
    "new": 1, "receiving": 1, "denied": 3, "processing": 4, "interoperating": 4,
    "waiting": 5, "paying": 6, "cancelled": 7, "unresolved": 8, "releasing": 9,
    "posting": 9, "done": 10,
}
DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
APPLICANT_TYPES = {"citizen": 1, "business": 2, "organization": 3}
# OpenCPS counts a working day as 8 hours.
HOURS_PER_DAY = 8


def parse_item(item: dict[str, Any], options: dict[str, Any], zone: ZoneInfo) -> DossierRecord:
    """Map an item of GET /o/rest/v2/dossiers; raise ValueError naming the field at fault."""
    source_id = _text(item, "dossierId", required=True)
    code = _text(item, "dossierNo", required=True)
    dates = {name: _date(item, name, zone) for name in (
        "createDate", "modifiedDate", "submitDate", "receiveDate", "dueDate", "releaseDate",
        "finishDate", "lastActionDate")}
    status = map_status(item, options)
    received = dates["receiveDate"]
    if received is None and status is Status.REGISTERED:
        received = dates["submitDate"] or dates["createDate"]
    if received is None:
        raise ValueError(f"dossier {code}: receiveDate is empty for status {status.name}")
    limit_value, limit_unit = _limit(item, code)
    finished, returned, stopped = _endings(status, dates)
    return DossierRecord(
        code=code, source_id=source_id,
        unit_code=options.get("unit_code") or _text(item, "govAgencyCode", required=True),
        unit_name=options.get("unit_name") or _text(item, "govAgencyName"),
        procedure_code=_text(item, "serviceCode", required=True),
        procedure_name=_text(item, "serviceName") or "",
        domain_code=_text(item, "domainCode"), domain_name=_text(item, "domainName") or "",
        limit_value=limit_value, limit_unit=limit_unit,
        summary=_text(item, "dossierName"),
        applicant_name=_text(item, "applicantName", required=True),
        applicant_id_no=_text(item, "applicantIdNo"),
        applicant_phone=_text(item, "contactTelNo"),
        applicant_email=_text(item, "contactEmail"),
        applicant_type=APPLICANT_TYPES.get(str(item.get("applicantIdType")), 1),
        channel=_channel(item), handler=_text(item, "currentActionUser"),
        filed_at=dates["submitDate"], received_at=received, source_due_at=dates["dueDate"],
        status=status, source_status=_text(item, "dossierStatus"),
        source_sub_status=_text(item, "dossierSubStatus"),
        finished_at=finished, returned_at=returned, stopped_at=stopped,
        source_modified_at=dates["modifiedDate"],
        events=_events(item, status, received, dates["lastActionDate"]),
        supplements=_supplements(status, dates),
    )


def map_status(item: dict[str, Any], options: dict[str, Any]) -> Status:
    """Sub-status first, then the status; a pause lock turns a running dossier into waiting."""
    status, sub = str(item.get("dossierStatus") or ""), str(item.get("dossierSubStatus") or "")
    code = options["sub_status_map"].get(sub) if sub else None
    if code is None:
        code = options["status_map"].get(status)
    if code is None:
        raise ValueError(f"dossier {item.get('dossierNo')}: OpenCPS status {status!r} "
                         f"(sub-status {sub!r}) is not in status_map")
    mapped = Status(code)
    lock = str(item.get("lockState") or "")
    if lock and mapped in (Status.ACCEPTED, Status.PROCESSING):
        locked = options["lock_state_map"].get(lock)
        if locked is not None:
            return Status(locked)
    return mapped


def _text(item: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        if value is None or value == "":
            if required:
                raise ValueError(f"item {item.get('dossierNo') or item.get('dossierId')}: "
                                 f"{name} is missing")
            return None
        raise ValueError(f"item {item.get('dossierNo')}: {name} should be text, "
                         f"got {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise ValueError(f"item {item.get('dossierNo') or item.get('dossierId')}: "
                         f"{name} is empty")
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
    raise ValueError(f"item {item.get('dossierNo')}: {name} {value!r} is not a date "
                     "dd/MM/yyyy HH:mm:ss")


def _limit(item: dict[str, Any], code: str) -> tuple[int | None, LimitUnit | None]:
    """durationCount/durationUnit (0 days of 8 h, 1 hours): used when the procedure is unknown."""
    count, unit = item.get("durationCount"), item.get("durationUnit")
    if count in (None, ""):
        return None, None
    try:
        count, unit = float(count), int(unit or 0)
    except (TypeError, ValueError):
        raise ValueError(f"dossier {code}: durationCount/durationUnit {count!r}/{unit!r} "
                         "are not numbers") from None
    if count < 0 or unit not in (0, 1):
        raise ValueError(f"dossier {code}: duration {count} unit {unit} is not understood")
    if count == 0:
        return 0, LimitUnit.SAME_DAY
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
    last = dates["lastActionDate"] or dates["modifiedDate"]
    if status in (Status.RESOLVED, Status.RETURNED):
        finished = dates["releaseDate"] or dates["finishDate"] or last
        returned = (dates["finishDate"] or last) if status is Status.RETURNED else None
        return finished, returned, None
    if status in (Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED):
        return None, None, dates["finishDate"] or last
    return None, None, None


def _events(item: dict[str, Any], status: Status, received: dt.datetime,
            last_action: dt.datetime | None) -> tuple[EventRecord, ...]:
    """The list API gives no history: the receipt and the latest action, merged over sweeps."""
    events = []
    if status is not Status.REGISTERED:
        events.append(EventRecord(received, Status.ACCEPTED, None, None, "Tiếp nhận hồ sơ"))
    if last_action is not None and (last_action, status) != (received, Status.ACCEPTED):
        note = " - ".join(str(part) for part in (item.get("lastActionName"),
                                                 item.get("lastActionNote")) if part)
        events.append(EventRecord(last_action, status, _text(item, "lastActionUser"),
                                  _text(item, "currentActionUser"), note or None))
    return tuple(events)


def _supplements(status: Status, dates: dict[str, dt.datetime | None]
                 ) -> tuple[SupplementRecord, ...]:
    """A supplement request is known while the dossier waits for it."""
    if status is not Status.WAITING_SUPPLEMENT:
        return ()
    asked = dates["lastActionDate"] or dates["modifiedDate"]
    return (SupplementRecord(asked, None, "Yêu cầu bổ sung giấy tờ"),) if asked else ()
