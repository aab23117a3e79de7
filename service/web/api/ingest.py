"""POST /api/v1/ingest/<connector>: records pushed by another system, with per-record results."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from connectors.base import ConnectorError
from connectors.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    WebhookConnector,
)
from service.ingest.replay import ReplayedPush, Signed
from service.ingest.runs import push_batch
from service.users.tokens import authenticate, note_use
from service.web.api.auth import SECURITY_SCHEME, bearer_secret
from service.web.session import db, runtime

blp = Blueprint("ingest", __name__, url_prefix="/api/v1",
                description="Push dossier records from another system (webhook connectors).")


class RecordResultSchema(Schema):
    """What became of one pushed record."""

    index = fields.Integer(required=True)
    code = fields.String(allow_none=True)
    result = fields.String(required=True, metadata={
        "description": "created, updated, unchanged or rejected"})
    reason = fields.String(allow_none=True)


class PushResultSchema(Schema):
    """The run that stored the push, its counts, and each record's result in order."""

    run_id = fields.Integer(required=True)
    fetched = fields.Integer(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    results = fields.List(fields.Nested(RecordResultSchema), required=True)


@blp.route("/ingest/<string:connector>")
class Ingest(MethodView):
    """Records pushed to a webhook connector."""

    @blp.response(200, PushResultSchema)
    @blp.alt_response(400, description="The body is not JSON, or holds no or too many records")
    @blp.alt_response(401, description="Wrong token, or a signature that is wrong, lacks its "
                                       "timestamp or is outside the time window")
    @blp.alt_response(404, description="No webhook connector of that name")
    @blp.alt_response(409, description="A signed push already accepted, sent again: nothing "
                                       "is stored")
    @blp.alt_response(413, description="Body larger than the connector allows")
    @blp.doc(security=[{SECURITY_SCHEME: []}])
    def post(self, connector: str) -> Any:
        """Store one record, a list, or {"records": [...]}; authenticate with the connector's
        bearer token, an API token with the `ingest` scope, or a signature: X-TTHC-Timestamp
        (Unix seconds, by default within 5 minutes of the server's clock) and X-TTHC-Signature,
        the hex HMAC-SHA256 of "<timestamp>.<body>" ("sha256=" before it is accepted). A
        signature is accepted once. Records outside the connector's units or its own dossiers
        are refused one by one."""
        webhook = _webhook(connector)
        body = _body(webhook.options["max_body_bytes"])
        rt = runtime()
        signed = _authorised(webhook, body)
        try:
            items = webhook.parse_body(body)
        except ConnectorError as exc:
            abort(400, message=f"Dữ liệu gửi lên không hợp lệ: {exc}")
        try:
            run, results = push_batch(rt.sessions, connector, items, rt.derive, rt.now(),
                                      webhook.write_scope(), signed)
        except ReplayedPush:
            abort(409, message="Bản tin đã ký này đã được nhận trước đó (chữ ký đã dùng), "
                               "nên không lưu gì. Mỗi lần gửi, kể cả gửi lại, cần thời điểm "
                               f"{TIMESTAMP_HEADER} và chữ ký mới.")
        return {"run_id": run.id, "fetched": run.fetched, "created": run.created,
                "updated": run.updated, "unchanged": run.unchanged, "rejected": run.rejected,
                "results": [{"index": index, "code": r.code, "result": r.outcome,
                             "reason": r.reason} for index, r in enumerate(results)]}


def _webhook(name: str) -> WebhookConnector:
    options = runtime().config.connectors.get(name)
    if not options or options.get("type") != "webhook":
        abort(404, message=f"Không có kết nối nhận dữ liệu '{name}'.")
    return runtime().connector(name)  # type: ignore[return-value]


def _body(limit: int) -> bytes:
    """The raw body, refused with 413 past the connector's limit before reading it all."""
    if request.content_length is not None and request.content_length > limit:
        abort(413, message=f"Dữ liệu gửi lên vượt quá {limit} byte.")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        abort(413, message=f"Dữ liệu gửi lên vượt quá {limit} byte.")
    return body


def _authorised(webhook: WebhookConnector, body: bytes) -> Signed | None:
    """Let the push through or answer 401; a signed push returns its signature to remember.

    A bearer token cannot be bound to one push: it is a standing secret, and only TLS keeps it
    and the bodies it sends from being read and replayed on the way.
    """
    bearer = bearer_secret()
    if webhook.token_matches(bearer):
        return None
    token = authenticate(db(), bearer) if bearer else None
    if token is not None and token.allows("ingest"):
        note_use(runtime().engine, token, runtime().now())
        return None
    signature = request.headers.get(SIGNATURE_HEADER)
    if signature and webhook.signs():
        try:
            digest = webhook.verify_signature(body, signature,
                                              request.headers.get(TIMESTAMP_HEADER),
                                              runtime().now())
        except SignatureError as exc:
            abort(401, message=f"Chữ ký của hệ thống gửi dữ liệu không được chấp nhận: {exc}.")
        return Signed(digest, webhook.signature_window)
    abort(401, message="Sai mã truy cập hoặc chữ ký của hệ thống gửi dữ liệu.",
          headers={"WWW-Authenticate": 'Bearer realm="tthc-monitor"'})
