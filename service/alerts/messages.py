"""Alert messages in Vietnamese: subject, plain text, HTML and the webhook's JSON.

Only the masked applicant name appears: never the ID number, phone or e-mail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment

from service.models.alerts import AlertKind, MessageKind

FORMAT = "%d/%m/%Y %H:%M"
FOOTER = ("Thư này do hệ thống theo dõi hồ sơ thủ tục hành chính gửi tự động; "
          "vui lòng không trả lời thư.")


@dataclass(frozen=True)
class Item:
    """One dossier as an alert shows it."""

    code: str
    procedure: str
    applicant: str
    handler: str | None
    received_at: dt.datetime
    due_at: dt.datetime
    status: str
    kind: AlertKind
    level: int
    overdue_days: int = 0
    # The day the apology letter is due (apology items only).
    apology_day: dt.date | None = None

    @property
    def section(self) -> str:
        """The heading the item is listed under."""
        if self.kind is AlertKind.COMPLAINT_OVERDUE:
            return "Phản ánh, kiến nghị quá hạn trả lời"
        if self.kind is AlertKind.COMPLAINT_NEAR:
            return "Phản ánh, kiến nghị sắp đến hạn trả lời"
        if self.kind is AlertKind.OVERDUE:
            return "Quá hạn, cần lãnh đạo chỉ đạo" if self.level == 2 else "Quá hạn"
        if self.kind is AlertKind.APOLOGY:
            return "Hôm nay là hạn gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả"
        return "Sắp đến hạn"

    @property
    def path(self) -> str:
        """The item's page in the clerks' web app."""
        return (f"/phan-anh-kien-nghi/{self.code}" if self.kind.about_complaint
                else f"/ho-so/{self.code}")

    @property
    def words(self) -> dict[str, str]:
        """The labels of the item's lines: a complaint has a sender and a subject."""
        if self.kind.about_complaint:
            return {"code": "Mã phản ánh", "procedure": "Về việc", "applicant": "Người gửi",
                    "received": "Ngày gửi", "due": "Hạn trả lời", "link": "Xem phản ánh"}
        return {"code": "Mã hồ sơ", "procedure": "Thủ tục", "applicant": "Người nộp",
                "received": "Ngày tiếp nhận", "due": "Hạn giải quyết", "link": "Xem hồ sơ"}


@dataclass(frozen=True)
class Rendered:
    """A message ready for any channel."""

    kind: MessageKind
    subject: str
    text: str
    html: str
    payload: dict[str, Any]


SECTION_ORDER = ("Quá hạn, cần lãnh đạo chỉ đạo", "Quá hạn",
                 "Hôm nay là hạn gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả", "Sắp đến hạn",
                 "Phản ánh, kiến nghị quá hạn trả lời", "Phản ánh, kiến nghị sắp đến hạn trả lời")

TEXT = """Kính gửi: {{ name }},

{{ intro }}
{% for title, items in sections %}
{% if sections|length > 1 or items|length > 1 %}{{ title }} ({{ items|length }} hồ sơ):
{% endif %}{% for i in items %}{% set w = i.words %}
- {{ w.code }}: {{ i.code }}
  {{ w.procedure }}: {{ i.procedure }}
  {{ w.applicant }}: {{ i.applicant }}
  Cơ quan giải quyết: {{ i.handler or "chưa rõ" }}
  {{ w.received }}: {{ i.received_at|local }}
  {{ w.due }}: {{ i.due_at|local }}{% if i.overdue_days %} (đã quá {{ i.overdue_days }} \
ngày làm việc){% endif %}
  Trạng thái: {{ i.status }}{% if link %}
  {{ w.link }}: {{ link }}{{ i.path }}{% endif %}
{% endfor %}{% endfor %}
--
{{ footer }}
"""

HTML = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: Arial, sans-serif; color: #1a1a1a;">
<p>Kính gửi: {{ name }},</p>
<p>{{ intro }}</p>
{% for title, items in sections %}
<h3 style="margin-bottom: 4px;">{{ title }} ({{ items|length }} hồ sơ)</h3>
<table style="border-collapse: collapse;" cellpadding="6" border="1">
{% set w = items[0].words %}<tr><th>{{ w.code }}</th><th>{{ w.procedure }}</th>\
<th>{{ w.applicant }}</th><th>Cơ quan giải quyết</th>
<th>{{ w.received }}</th><th>{{ w.due }}</th><th>Trạng thái</th></tr>
{% for i in items %}<tr>
<td>{% if link %}<a href="{{ link }}{{ i.path }}">{{ i.code }}</a>{% else %}{{ i.code }}\
{% endif %}</td>
<td>{{ i.procedure }}</td><td>{{ i.applicant }}</td><td>{{ i.handler or "chưa rõ" }}</td>
<td>{{ i.received_at|local }}</td>
<td>{{ i.due_at|local }}{% if i.overdue_days %}<br><strong>đã quá {{ i.overdue_days }} ngày \
làm việc</strong>{% endif %}</td>
<td>{{ i.status }}</td>
</tr>{% endfor %}
</table>
{% endfor %}
<p style="color: #555; font-size: small;">{{ footer }}</p>
</body></html>
"""


def _environment(zone: dt.tzinfo) -> Environment:
    env = Environment(autoescape=True, keep_trailing_newline=True)
    env.filters["local"] = lambda value: value.astimezone(zone).strftime(FORMAT)
    return env


def single_intro(item: Item, zone: dt.tzinfo, today: dt.date) -> tuple[str, str]:
    """Subject and opening sentence of a message about one dossier."""
    due = item.due_at.astimezone(zone).strftime(FORMAT)
    if item.kind.about_complaint:
        return complaint_intro(item, due)
    if item.kind is AlertKind.APOLOGY:
        day = item.apology_day or today
        when = f"hôm nay ({day:%d/%m/%Y})" if day == today else f"ngày {day:%d/%m/%Y}"
        return (f"[Hạn gửi phiếu xin lỗi {when}] Hồ sơ {item.code} – hạn {due}",
                f"Hạn cuối gửi Phiếu xin lỗi và hẹn lại ngày trả kết quả cho hồ sơ dưới đây là "
                f"{when}; hồ sơ phải được giải quyết trước {due}. Theo khoản 6 Điều 19 Nghị "
                "định 118/2025/NĐ-CP, nếu hồ sơ không thể giải quyết đúng hạn, cơ quan giải "
                "quyết phải gửi văn bản xin lỗi người nộp, nêu rõ lý do và hẹn lại ngày trả "
                "kết quả chậm nhất 01 ngày trước ngày hết hạn.")
    if item.kind is AlertKind.OVERDUE and item.level == 2:
        return (f"[Quá hạn {item.overdue_days} ngày làm việc] Hồ sơ {item.code}",
                f"Hồ sơ dưới đây đã quá hạn {item.overdue_days} ngày làm việc mà chưa được "
                "giải quyết. Kính báo cáo để đồng chí chỉ đạo xử lý.")
    if item.kind is AlertKind.OVERDUE:
        return (f"[Quá hạn] Hồ sơ {item.code} – hạn {due}",
                "Hồ sơ dưới đây đã quá hạn giải quyết. Đề nghị khẩn trương xử lý và báo cáo "
                "lý do chậm trễ.")
    return (f"[Sắp đến hạn] Hồ sơ {item.code} – hạn {due}",
            "Hồ sơ dưới đây sắp đến hạn giải quyết. Đề nghị khẩn trương xử lý để trả kết quả "
            "đúng hẹn cho người dân.")


def complaint_intro(item: Item, due: str) -> tuple[str, str]:
    """Subject and opening sentence of a message about one complaint."""
    if item.kind is AlertKind.COMPLAINT_OVERDUE:
        return (f"[Phản ánh quá hạn] {item.code} – hạn trả lời {due}",
                "Phản ánh, kiến nghị dưới đây đã quá hạn trả lời. Đề nghị khẩn trương trả lời "
                "người dân: phản ánh, kiến nghị xử lý trễ hạn bị trừ điểm theo Quyết định "
                "766/QĐ-TTg.")
    return (f"[Phản ánh sắp đến hạn] {item.code} – hạn trả lời {due}",
            "Phản ánh, kiến nghị dưới đây sắp đến hạn trả lời. Đề nghị xem xét, trả lời người "
            "dân trong thời hạn.")


def render(kind: MessageKind, name: str, items: list[Item], zone: dt.tzinfo,
           today: dt.date, link: str = "") -> Rendered:
    """Render one message about the items for the recipient called name."""
    if kind is MessageKind.SINGLE:
        subject, intro = single_intro(items[0], zone, today)
    elif kind is MessageKind.DIGEST:
        subject = f"[Bản tin ngày {today:%d/%m/%Y}] {len(items)} hồ sơ cần chú ý"
        intro = (f"Danh sách {len(items)} hồ sơ đang giải quyết cần đồng chí chú ý hôm nay "
                 f"({_counts(items)}).")
    else:
        subject = f"[Cảnh báo] {len(items)} hồ sơ cần chú ý"
        intro = f"Hệ thống ghi nhận cảnh báo mới về {len(items)} hồ sơ ({_counts(items)})."
    sections = [(title, [i for i in items if i.section == title]) for title in SECTION_ORDER]
    values = {"name": name, "intro": intro, "subject": subject, "footer": FOOTER,
              "link": link, "sections": [(t, group) for t, group in sections if group]}
    env = _environment(zone)
    text = re.sub(r"\n{3,}", "\n\n", env.from_string(TEXT).render(values))
    return Rendered(kind, subject, text, env.from_string(HTML).render(values),
                    _payload(kind, subject, text, items, zone))


def _counts(items: list[Item]) -> str:
    parts = []
    for title in SECTION_ORDER:
        count = sum(1 for i in items if i.section == title)
        if count:
            parts.append(f"{title.lower()}: {count}")
    return "; ".join(parts)


def _payload(kind: MessageKind, subject: str, text: str, items: list[Item],
             zone: dt.tzinfo) -> dict[str, Any]:
    """The webhook body: the text for chat bots, and the items as data."""
    return {"kind": kind.value, "subject": subject, "text": text, "items": [
        {"code": i.code, "procedure": i.procedure, "applicant": i.applicant,
         "handler": i.handler, "received_at": i.received_at.astimezone(zone).isoformat(),
         "due_at": i.due_at.astimezone(zone).isoformat(), "status": i.status,
         "alert": i.kind.value, "alert_label": i.kind.label, "level": i.level,
         "overdue_days": i.overdue_days} for i in items]}
