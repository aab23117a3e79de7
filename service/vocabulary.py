"""The canonical vocabularies: portal status codes, channels, limit units, deadline classes.

A leaf module: it imports nothing of the project, so connectors and the core share it. Each
member carries the one Vietnamese label every page, export and message uses. The Vietnamese
words clerks read, and the names they have in code:

    hồ sơ                           dossier (service.models.Dossier)
    mã hồ sơ                        dossier code
    thủ tục hành chính              procedure (service.models.Procedure)
    lĩnh vực                        domain (Procedure.domain_name)
    cơ quan giải quyết              handling body (Dossier.handler)
    ngày hẹn trả                    appointment (Dossier.source_due_at)
    hạn giải quyết theo quy định    legal due date (Dossier.statutory_due_at)
    yêu cầu bổ sung                 supplement request (SupplementRound)
    phiếu xin lỗi và hẹn lại        apology extension (Dossier.extension_due_at)
    trạng thái hồ sơ                Status
    kênh nộp                        Channel
    trong hạn / sắp đến hạn /
    quá hạn / tạm dừng              DeadlineClass (an open dossier)
    trước hạn / đúng hạn / trễ hạn  Outcome (a finished dossier)
"""

from __future__ import annotations

import enum


class LabelledEnum(enum.Enum):
    """An enum whose members carry a Vietnamese label beside their code."""

    def __new__(cls, value: object, label: str) -> LabelledEnum:
        member = object.__new__(cls)
        member._value_ = value
        member.label = label  # type: ignore[attr-defined]
        return member

    label: str


class Status(LabelledEnum):
    """Dossier status in the National Public Service Portal's vocabulary (TrangThaiHoSo)."""

    REGISTERED = (1, "Mới đăng ký")
    ACCEPTED = (2, "Được tiếp nhận")
    NOT_ACCEPTED = (3, "Không được tiếp nhận")
    PROCESSING = (4, "Đang xử lý")
    WAITING_SUPPLEMENT = (5, "Yêu cầu bổ sung giấy tờ")
    WAITING_PAYMENT = (6, "Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = (7, "Công dân yêu cầu rút hồ sơ")
    STOPPED = (8, "Dừng xử lý")
    RESOLVED = (9, "Đã xử lý xong")
    RETURNED = (10, "Đã trả kết quả")

    @property
    def is_open(self) -> bool:
        """True while the dossier is being handled (clock running or paused)."""
        return self in OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        """True while waiting for the applicant (supplement or payment)."""
        return self in (Status.WAITING_SUPPLEMENT, Status.WAITING_PAYMENT)


OPEN_STATUSES = frozenset({Status.ACCEPTED, Status.PROCESSING, Status.WAITING_SUPPLEMENT,
                           Status.WAITING_PAYMENT})
# Statuses that end handling; docs/domain.md (Statuses) orders which instant counts as the finish.
FINAL_STATUSES = frozenset({Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED,
                            Status.RESOLVED, Status.RETURNED})


class Channel(LabelledEnum):
    """How the dossier reached the centre (the portal's KenhThucHien)."""

    DIRECT = (1, "Trực tiếp")
    ONLINE = (2, "Trực tuyến")
    POSTAL = (3, "Dịch vụ bưu chính")


class LimitUnit(LabelledEnum):
    """The unit of a procedure's time limit; NONE: the procedure sets no limit at all."""

    WORKING_DAYS = ("working_days", "ngày làm việc")
    WORKING_HOURS = ("working_hours", "giờ làm việc")
    SAME_DAY = ("same_day", "trong ngày")
    NONE = ("none", "không quy định thời hạn")

    def describe(self, value: int) -> str:
        """The limit as clerks read it: "15 ngày làm việc", "trong ngày" (never "0 trong ngày")."""
        if self in (LimitUnit.SAME_DAY, LimitUnit.NONE):
            return self.label
        return f"{value} {self.label}"


class DeadlineClass(LabelledEnum):
    """Where an open dossier stands against its due date."""

    WITHIN = ("within", "Trong hạn")
    NEAR = ("near", "Sắp đến hạn")
    OVERDUE = ("overdue", "Quá hạn")
    PAUSED = ("paused", "Tạm dừng chờ bổ sung")


class Outcome(LabelledEnum):
    """How a finished dossier ended against its due date."""

    EARLY = ("early", "Trước hạn")
    ON_TIME = ("on_time", "Đúng hạn")
    # "Trễ hạn" for a finished dossier, as the portal says; "quá hạn" is an open one's class.
    LATE = ("late", "Trễ hạn")
