"""Secrets by reference: a `NAME_file` key names a file, a `NAME_env` key an environment variable.

The configuration never holds a secret itself. A file wins over a variable because it is the
safer of the two: systemd's LoadCredential= and container secrets hand a service a file that no
other process (and no `ps e`) can read, whereas a variable is inherited by every child.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marshmallow import fields

# systemd puts the files of LoadCredential=/SetCredential= here for the service it starts.
CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY"


class SecretError(Exception):
    """A secret named by the configuration could not be read; the message names the key."""


def secret_file_field() -> fields.String:
    """A `NAME_file` key: a path, relative ones under $CREDENTIALS_DIRECTORY when set."""
    return fields.String(load_default=None, allow_none=True)


def secret_path(name: str, environ: Mapping[str, str]) -> Path:
    """Where a `NAME_file` value points: absolute as written, relative to the credentials dir."""
    path = Path(name)
    directory = environ.get(CREDENTIALS_DIRECTORY)
    if not path.is_absolute() and directory:
        return Path(directory) / path
    return path


def read_secret(options: Mapping[str, Any], name: str,
                environ: Mapping[str, str] | None = None) -> str:
    """The secret `name` of a section: from `name_file`, else `name_env`, else empty.

    A file's trailing newline is dropped (editors and `echo` add one); an unreadable file is
    a SecretError rather than an empty secret, so a typo in the path does not turn into a
    failed login much later.
    """
    environ = os.environ if environ is None else environ
    file_name = options.get(f"{name}_file")
    if file_name:
        path = secret_path(file_name, environ)
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretError(f"{name}_file: cannot read {path}: "
                              f"{getattr(exc, 'strerror', None) or exc}") from None
    variable = options.get(f"{name}_env")
    return environ.get(variable, "") if variable else ""


def secret_source(options: Mapping[str, Any], name: str) -> str:
    """Say where the secret `name` comes from, for messages: the file or the variable."""
    if options.get(f"{name}_file"):
        return f"file {options[f'{name}_file']}"
    return f"environment variable {options.get(f'{name}_env')}"
