"""Webhook tests share: the push connector's token and secret, signed posts, the units."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from service.config.settings import Settings
from service.models import Unit
from service.runtime import Runtime

TOKEN = "push-token-of-the-provincial-system"


SECRET = "hmac-secret-from-the-environment"


URL = "/api/v1/ingest/push"


def reconfigure(runtime: Runtime) -> Runtime:
    """Rebuild the runtime's typed settings after a test changed its validated dict."""
    runtime.config = Settings.from_dict(runtime.settings)
    return runtime


def add_units(runtime: Runtime) -> None:
    """The configured units, as `tthc-monitor db upgrade` puts them in the database."""
    with runtime.sessions.begin() as session:
        for unit in runtime.settings["units"]:
            session.add(Unit(code=unit["code"], name=unit["name"]))


def record(number: int, **changes: Any) -> dict[str, Any]:
    return {"code": f"000.32.26.H26-260302-{number:04d}", "procedure_code": "1.004873",
            "procedure_name": "Cấp Giấy xác nhận tình trạng hôn nhân",
            "domain_name": "Hộ tịch", "limit_value": 3, "limit_unit": "working_days",
            "applicant_name": "Nguyễn Văn Bình", "applicant_phone": "0912345678",
            "channel": 2, "status": 4, "received_at": "2026-03-02T08:15:00+07:00",
            "source_modified_at": "2026-03-02T09:00:00+07:00",
            "events": [{"at": "2026-03-02T08:15:00+07:00", "status": 2},
                       {"at": "2026-03-02T09:00:00+07:00", "status": 4}], **changes}


def post(client: Any, body: Any, token: str | None = TOKEN,
         headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return client.post(URL, data=data, headers=sent)


def signed(body: bytes, secret: str = SECRET, at: int | None = None,
           prefix: str = "") -> dict[str, str]:
    """Headers of a push signed as the README tells senders: HMAC of "<timestamp>.<body>"."""
    timestamp = str(int(time.time()) if at is None else at)
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return {"X-TTHC-Timestamp": timestamp, "X-TTHC-Signature": prefix + digest.hexdigest()}
