"""Webhook: systems that push dossier changes to POST /api/v1/ingest/<connector>.

The sender authenticates with the connector's own token (only its SHA-256 is configured) or
signs each push with HMAC-SHA256 using a secret from the environment: X-TTHC-Timestamp holds
the Unix time in seconds and X-TTHC-Signature the hex HMAC-SHA256 of the bytes
`<timestamp>.<body>`. The timestamp must be within `signature_window_seconds` of the server's
clock, and the service remembers each accepted signature (service/ingest/replay.py), so a
captured push cannot be sent again. The body is one canonical record, a list of them, or
{"records": [...]}; each record is validated on its own, so one bad record is quarantined and
the rest lands. A connector writes only the units it is configured for (`WriteScope`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from connectors.base import (
    Batch,
    Connector,
    ConnectorError,
    DossierRecord,
    EventRecord,
    RejectedRecord,
    SupplementRecord,
    WriteScope,
)
from connectors.payloads import Instant, check_record, describe, storable
from service.config.credentials import read_secret, secret_file_field
from service.vocabulary import Channel, LimitUnit, Status

SIGNATURE_HEADER = "X-TTHC-Signature"
TIMESTAMP_HEADER = "X-TTHC-Timestamp"
UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class SignatureError(ConnectorError):
    """A signed push that cannot be accepted; the message (Vietnamese) tells the sender why."""


class WebhookOptions(Schema):
    """Options of [connectors.NAME] with type = "webhook"."""

    token_sha256 = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Regexp(r"^[0-9a-f]{64}$", error=(
                                     "expected the SHA-256 hex digest of the token")))
    hmac_secret_env = fields.String(load_default=None, allow_none=True)
    hmac_secret_file = secret_file_field()
    # The unit of records that name none; with `unit_codes`, the units the connector may write.
    unit_code = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=64))
    unit_codes = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                             load_default=list)
    # Accepted so older files still load; unit names come from [[units]], never from a push.
    unit_name = fields.String(load_default=None, allow_none=True)
    # How far a record's source_modified_at may run ahead of the server's clock.
    clock_skew_seconds = fields.Integer(load_default=300, validate=validate.Range(min=0,
                                                                                  max=86_400))
    # How far X-TTHC-Timestamp may be from the server's clock, either way.
    signature_window_seconds = fields.Integer(load_default=300,
                                              validate=validate.Range(min=30, max=3600))
    max_body_bytes = fields.Integer(load_default=1_048_576,
                                    validate=validate.Range(min=1024, max=50_000_000))
    max_records = fields.Integer(load_default=500, validate=validate.Range(min=1, max=100_000))
    interval_minutes = fields.Integer(load_default=60, validate=validate.Range(min=1))

    @validates_schema
    def has_units(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A push writes only configured units, so a connector without any could write none."""
        if not data.get("unit_code") and not data.get("unit_codes"):
            raise ValidationError("expected the unit this connector writes (unit_code) or its "
                                  "list (unit_codes), units declared in [[units]]",
                                  "unit_code")


class EventSchema(Schema):
    """One history line."""

    at = Instant(required=True)
    status = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    actor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    department = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=255))
    note = fields.String(load_default=None, allow_none=True)


class SupplementSchema(Schema):
    """One supplementation round."""

    requested_at = Instant(required=True)
    completed_at = Instant(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True)


def _text(size: int, required: bool = False) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=size))
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=size))


def _instant() -> Instant:
    return Instant(load_default=None, allow_none=True)


class RecordSchema(Schema):
    """A pushed dossier in canonical form; instants are ISO 8601 with their offset."""

    code = _text(64, required=True)
    source_id = _text(128)
    unit_code = _text(64)
    unit_name = _text(255)
    procedure_code = _text(64, required=True)
    procedure_name = fields.String(load_default="")
    domain_code = _text(64)
    domain_name = fields.String(load_default="")
    limit_value = fields.Integer(load_default=None, allow_none=True,
                                 validate=validate.Range(min=0, max=1000))
    limit_unit = fields.String(load_default=None, allow_none=True,
                               validate=validate.OneOf([u.value for u in LimitUnit]))
    summary = fields.String(load_default=None, allow_none=True)
    applicant_name = _text(255, required=True)
    applicant_id_no = _text(32)
    applicant_phone = _text(32)
    applicant_email = _text(255)
    applicant_type = fields.Integer(load_default=1, validate=validate.Range(min=1, max=4))
    channel = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    handler = _text(255)
    received_by = _text(255)
    status = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    source_status = _text(64)
    source_sub_status = _text(64)
    received_at = Instant(required=True)
    filed_at, source_due_at, finished_at = _instant(), _instant(), _instant()
    returned_at, stopped_at, source_modified_at = _instant(), _instant(), _instant()
    fee_due, paid_online = fields.Boolean(load_default=False), fields.Boolean(load_default=False)
    digitized = fields.Boolean(load_default=False)
    electronic_result = fields.Boolean(load_default=False)
    # The applicant agreed (true) or refused (false) notices by SMS or Zalo; absent: unknown.
    notice_consent = fields.Boolean(load_default=None, allow_none=True)
    events = fields.List(fields.Nested(EventSchema), load_default=list)
    supplements = fields.List(fields.Nested(SupplementSchema), load_default=list)


class WebhookConnector(Connector):
    """Receives pushed records; it has nothing to pull."""

    type_name = "webhook"
    options_schema = WebhookOptions

    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        """Nothing to pull: records arrive through the HTTP endpoint."""
        return iter(())

    def write_scope(self) -> WriteScope:
        """Its configured units; its own dossiers; no source_modified_at in the future."""
        units = {*self.options["unit_codes"], self.options["unit_code"]} - {None}
        return WriteScope(frozenset(units),
                          dt.timedelta(seconds=self.options["clock_skew_seconds"]))

    @property
    def signature_window(self) -> dt.timedelta:
        """How far a signed push's timestamp may be from the server's clock."""
        return dt.timedelta(seconds=self.options["signature_window_seconds"])

    def token_matches(self, bearer: str | None) -> bool:
        """True when the bearer token's SHA-256 is the configured digest."""
        if not bearer or not self.options["token_sha256"]:
            return False
        digest = hashlib.sha256(bearer.encode()).hexdigest()
        return hmac.compare_digest(digest, self.options["token_sha256"])

    def signs(self) -> bool:
        """True when an HMAC secret is configured, so signed pushes are accepted."""
        return bool(read_secret(self.options, "hmac_secret"))

    def verify_signature(self, body: bytes, signature: str, timestamp: str | None,
                         now: dt.datetime) -> str:
        """The signature's hex digest once it is right and timely; SignatureError says why not.

        The digest is the replay cache's key: the same push sent again carries the same one.
        """
        if not timestamp or not UNIX_SECONDS.fullmatch(timestamp.strip()):
            raise SignatureError(
                f"thiếu hoặc sai tiêu đề {TIMESTAMP_HEADER}: cần thời điểm ký là số giây Unix "
                f"(số nguyên), và {SIGNATURE_HEADER} là HMAC-SHA256 dạng hex của "
                "«<thời điểm>.<nội dung>»")
        timestamp = timestamp.strip()
        # One spelling per signature, so the replay cache cannot be dodged by its case or prefix.
        given = signature.strip().lower().removeprefix("sha256=")
        expected = sign(read_secret(self.options, "hmac_secret"), timestamp, body)
        if not HEX_DIGEST.fullmatch(given) or not hmac.compare_digest(given, expected):
            raise SignatureError(
                f"chữ ký {SIGNATURE_HEADER} không đúng: cần HMAC-SHA256 dạng hex của "
                f"«<{TIMESTAMP_HEADER}>.<nội dung>» với khóa bí mật của kết nối")
        drift = abs(now.timestamp() - int(timestamp))
        if drift > self.signature_window.total_seconds():
            raise SignatureError(
                f"{TIMESTAMP_HEADER} lệch {int(drift)} giây so với giờ máy chủ, quá "
                f"{int(self.signature_window.total_seconds())} giây cho phép; hãy ký lại với "
                "thời điểm hiện tại và kiểm tra đồng hồ của hệ thống gửi")
        return given

    def parse_body(self, body: bytes) -> list[DossierRecord | RejectedRecord]:
        """Split a pushed body into records and rejects; ConnectorError if it is no batch."""
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise ConnectorError(f"webhook {self.name}: the body is not JSON") from None
        except RecursionError:
            raise ConnectorError(f"webhook {self.name}: the body nests too deeply") from None
        items = data.get("records") if isinstance(data, dict) and "records" in data else data
        items = items if isinstance(items, list) else [items]
        if not items or len(items) > self.options["max_records"]:
            raise ConnectorError(f"webhook {self.name}: send 1 to {self.options['max_records']} "
                                 f"records, got {len(items)}")
        parsed: list[DossierRecord | RejectedRecord] = []
        for index, item in enumerate(items):
            try:
                parsed.append(self.parse_item(item))
            except ValueError as exc:
                payload = storable(item if isinstance(item, dict) else {"item": item})
                parsed.append(RejectedRecord(payload, f"Bản ghi số {index + 1}: {exc}",
                                             _source_id(payload)))
        return parsed

    def parse_item(self, item: Any) -> DossierRecord:
        """Validate one pushed record; ValueError lists each field at fault."""
        if not isinstance(item, dict):
            raise ValueError("phải là một đối tượng JSON ({...})")
        check_record(item)
        try:
            data = RecordSchema().load(item)
        except ValidationError as exc:
            raise ValueError(describe(exc.messages)) from None
        only = self.options["unit_codes"] if len(self.options["unit_codes"]) == 1 else [None]
        unit = data["unit_code"] or self.options["unit_code"] or only[0]
        if not unit:
            raise ValueError("«Mã đơn vị» (unit_code): bị thiếu, và kết nối không có đơn vị mặc "
                             "định")
        data.update(
            unit_code=unit, unit_name=data["unit_name"] or self.options["unit_name"],
            source_id=data["source_id"] or data["code"], status=Status(data["status"]),
            channel=Channel(data["channel"]),
            limit_unit=LimitUnit(data["limit_unit"]) if data["limit_unit"] else None,
            events=tuple(EventRecord(**{**e, "status": Status(e["status"])})
                         for e in data["events"]),
            supplements=tuple(SupplementRecord(**s) for s in data["supplements"]))
        return DossierRecord(**data)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>`: what X-TTHC-Signature must hold."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _source_id(payload: dict[str, Any]) -> str | None:
    value = payload.get("source_id") or payload.get("code")
    return str(value)[:128] if isinstance(value, str | int) and value != "" else None
