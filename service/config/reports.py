"""The [reports] section: reporting windows, the form's recipient and the reporting due dates."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class ReportsSchema(Schema):
    """How periodic reports are cut and when they are due."""

    # "decree09": Decree 09/2019 Art. 12 windows (Q1 = 15/12 to 14/3); "calendar": 1/1 to 31/3.
    windows = fields.String(load_default="decree09",
                            validate=validate.OneOf(["decree09", "calendar"]))
    # Printed as "Đơn vị nhận báo cáo" on Biểu 06.
    recipient = fields.String(load_default="Văn phòng HĐND và UBND xã",
                              validate=validate.Length(min=1, max=255))
    # Quarterly and 6-month reports go before this day of the quarter's last month.
    quarter_due_day = fields.Integer(load_default=5, validate=validate.Range(min=1, max=28))
    # The annual report goes before this day of December.
    year_due_day = fields.Integer(load_default=7, validate=validate.Range(min=1, max=31))
    # The reminder job warns this many days before a due date (and every day until it).
    remind_days_before = fields.Integer(load_default=5, validate=validate.Range(min=0, max=60))
    # Which [[alerts.recipients]] roles get the reminder, on their own channels.
    remind_roles = fields.List(fields.String(validate=validate.OneOf(
        ["clerk", "department", "head", "vice_chairman"])),
        load_default=lambda: ["clerk", "vice_chairman"])
