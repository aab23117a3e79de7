"""Which file is read: a file named by TTHC_CONFIG must exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.cli.context import load_settings
from service.config import ConfigError


def test_a_missing_file_named_by_tthc_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="absent.toml: file not found"):
        load_settings(environ={"TTHC_CONFIG": str(tmp_path / "absent.toml")})
