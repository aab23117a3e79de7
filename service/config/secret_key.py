"""The key that signs session cookies and form tokens: where it is read, and whether it may serve.

Anyone who knows the key can forge a signed-in session for any account, so a web server never
starts with the value shipped in config.toml or a short one; messages about the key never
quote it. `tthc-monitor demo` alone makes up its own key, once, and keeps it beside its data.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from service.config import ConfigError
from service.config.credentials import read_secret

# The values config.toml and the schema ship: a deployment still using one signs its session
# cookies with a key anyone can read on GitHub.
SHIPPED = frozenset({"dev-only-change-me", "dev-only-change-me-in-production"})
MIN_LENGTH = 32
MIN_DISTINCT = 10
MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
# Where the demo keeps the key it made, inside its instance folder.
DEMO_FILE = "secret_key"


def configured_key(settings: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str:
    """The key in force: the file `secret_key_file` names, else `secret_key`.

    An empty or unreadable file is not replaced by `secret_key`: the operator asked for the file.
    """
    if settings.get("secret_key_file"):
        return read_secret(settings, "secret_key", environ)
    return str(settings["secret_key"])


def weakness(key: str) -> str | None:
    """Why `key` may not sign sessions of a served site, or None; never quotes the key."""
    if not key:
        return "is empty"
    if key in SHIPPED:
        return "is the example shipped in config.toml, which anyone can read"
    if len(key) < MIN_LENGTH:
        return f"has {len(key)} characters, fewer than {MIN_LENGTH}"
    if len(set(key)) < MIN_DISTINCT:
        return f"has only {len(set(key))} distinct characters, fewer than {MIN_DISTINCT}"
    return None


def source(settings: Mapping[str, Any]) -> str:
    """Where the key was read from, for messages."""
    if settings.get("secret_key_file"):
        return f"the secret key (file {settings['secret_key_file']}, key 'secret_key_file')"
    return "the secret key (key 'secret_key' or TTHC_SECRET_KEY)"


def serving_key(settings: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str:
    """The key to serve with; a ConfigError naming where to set a good one if it is weak."""
    key = configured_key(settings, environ)
    why = weakness(key)
    if why:
        raise ConfigError(
            f"{source(settings)} {why}: refusing to serve, since it signs every session. Set "
            f"TTHC_SECRET_KEY (or secret_key_file, a file holding the key) to {MIN_LENGTH}+ "
            f"random characters, e.g. from {MAKE_ONE}; `tthc-monitor demo` makes its own")
    return key


def instance_folder(settings: Mapping[str, Any]) -> Path:
    """The folder of the SQLite database file, else var/ (where the shipped database lives)."""
    url = make_url(settings["database_url"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).parent
    return Path("var")


def demo_key(settings: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str:
    """The configured key if strong; else one made at random once and kept for the next run.

    Kept as `secret_key` in the instance folder, readable by its owner alone, so a restarted
    demo keeps its sessions valid.
    """
    key = configured_key(settings, environ)
    if weakness(key) is None:
        return key
    return kept_key(instance_folder(settings) / DEMO_FILE)


def kept_key(path: Path) -> str:
    """The key stored at `path`, made (mode 0600) if the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="utf-8").strip()
        why = weakness(key)
        if why:
            raise ConfigError(f"the demo's secret key in {path} {why}: delete the file and "
                              "a new one is made") from None
        return key
    key = secrets.token_urlsafe(32)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key
