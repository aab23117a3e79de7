"""Upload tests share: export files as bytes and sending them through the form."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from tests.fixtures.spreadsheet.exports import provincial_export
from tests.pages_support import csrf_token


def send(client: Any, data: bytes, name: str, token: str | None = "from-page",
         **extra: str) -> Any:
    """POST a file to the upload form as a browser does (multipart, with the form token)."""
    fields = dict(extra) if token is None else {
        **extra, "csrf_token": csrf_token(client) if token == "from-page" else token}
    # The body is framed here: werkzeug's own encoder spools large bodies to a temporary file
    # that it never closes, which `filterwarnings = error` turns into a failure.
    boundary = secrets.token_hex(16)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
             .encode() for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 .encode() + data + f"\r\n--{boundary}--\r\n".encode())
    return client.post("/nhap-tep", data=b"".join(parts),
                       content_type=f"multipart/form-data; boundary={boundary}")


def export_bytes(tmp_path: Path) -> bytes:
    return provincial_export(tmp_path / "thang3.xlsx").read_bytes()
