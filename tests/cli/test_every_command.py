"""Every command starts with every variable the README and config.toml mention set."""

from __future__ import annotations

import re
import secrets
import signal
from pathlib import Path

import click
import pytest

from service.cli import cli
from tests.configs import quick_simulator, write_config
from tests.processes import ROOT, Process, clean_env, free_port, run_cli

UNIT = "000.32.26.H26"
PASSWORD = "Mật-khẩu-thử-2026\n"


def documented_variables() -> set[str]:
    """TTHC_* names written in README.md, config.toml and the deployment's environment file,
    and every variable a *_env names."""
    text = "".join((ROOT / name).read_text(encoding="utf-8")
                   for name in ("README.md", "config.toml", "deploy/tthc-monitor.env"))
    names = set(re.findall(r"\bTTHC_[A-Z0-9_]*[A-Z0-9]\b", text))
    return names | set(re.findall(r'_env = "([A-Z][A-Z0-9_]*)"', text))


def environment(tmp_path: Path) -> dict[str, str]:
    """A value for each documented variable; the test fails when one has none."""
    config = tmp_path / "config.toml"
    write_config(config, quick_simulator(2))
    values = {
        "TTHC_CONFIG": str(config),
        "TTHC_DATABASE_URL": f"sqlite:///{tmp_path / 'every.db'}",
        "TTHC_SECRET_KEY": secrets.token_urlsafe(32),
        "TTHC_SERVER__PORT": str(free_port()),
        "TTHC_PORTAL__MODE": "record",
        "TTHC_PORTAL__GATEWAY_URL": "http://127.0.0.1:9/dvcqg",
        "TTHC_LOOKUP__PUBLIC_URL": "https://dichvucong.thanhmien.gov.vn",
        "TTHC_SECURITY__TRUSTED_PROXY": "127.0.0.1",
        "TTHC_SECURITY__PROXY_HOPS": "1",
        "TTHC_TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/unused",
        "TTHC_SMTP_PASSWORD": "smtp-secret",
        "TTHC_ALERT_WEBHOOK_TOKEN": "webhook-secret",
        "TTHC_PUSH_HMAC_SECRET": "push-secret",
        "TTHC_OPENCPS_PASSWORD": "opencps-secret",
        "DVCQG_PASSWORD": "dvcqg-secret",
    }
    missing = documented_variables() - set(values)
    assert not missing, f"give the newly documented variables a value here: {sorted(missing)}"
    return clean_env(values)


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """The path of every command that does something (not a group)."""
    found: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= leaf_commands(command, (*prefix, name))
        else:
            found.add((*prefix, name))
    return found


def catalogue(tmp_path: Path) -> str:
    path = tmp_path / "procedures.csv"
    path.write_text("code,name,linh_vuc,handler,limit,unit\n"
                    "1.999001,Thủ tục thử,Hộ tịch,UBND xã,4,working_days\n", encoding="utf-8")
    return str(path)


def finite_commands(tmp_path: Path) -> list[tuple[tuple[str, ...], list[str], int, str | None]]:
    """(command, arguments, expected exit code, standard input), in an order that works."""
    spreadsheet = str(ROOT / "tests/fixtures/spreadsheet/export_mixed.csv")
    return [
        (("db", "upgrade"), [], 0, None),
        (("check",), [], 0, None),
        (("procedures", "import"), [catalogue(tmp_path)], 0, None),
        (("ingest",), [], 0, None),
        (("scan",), [], 0, None),
        (("dossier", "show"), ["KHÔNG-CÓ"], 1, None),
        (("import",), [spreadsheet], 0, None),
        (("quarantine", "list"), [], 0, None),
        (("quarantine", "retry"), ["999999"], 1, None),
        (("quarantine", "fix"), ["999999", "--set", "code=X"], 1, None),
        (("quarantine", "discard"), ["999999", "--reason", "Trùng với hồ sơ đã nhập"], 1, None),
        (("webhook-token",), [], 0, None),
        (("deadline",), ["--received", "2026-02-13T09:00", "--limit", "3"], 0, None),
        (("token", "create"), ["ci"], 0, None),
        (("token", "list"), [], 0, None),
        (("token", "revoke"), ["ci"], 0, None),
        (("sync",), [], 0, None),
        (("user", "add"), ["thu", "--role", "admin", "--unit", UNIT], 0, PASSWORD * 2),
        (("user", "list"), [], 0, None),
        (("user", "password"), ["thu"], 0, PASSWORD * 2),
        (("user", "unlock"), ["thu"], 0, None),
        (("user", "disable"), ["thu"], 0, None),
        (("report", "form06"), ["--unit", UNIT, "--period", "2026-Q1"], 0, None),
        (("report", "assessment"), ["--unit", UNIT, "--period", "2026-Q1"], 0, None),
        (("prune",), ["--dry-run"], 0, None),
        (("prune",), [], 0, None),
        (("backup",), [str(tmp_path / "sao-luu.bak")], 0, None),
        (("restore",), ["--yes", str(tmp_path / "sao-luu.bak")], 0, None),
    ]


SERVING = ((("serve",), r"Serving on http://"), (("demo",), r"Serving on http://"),
           (("scheduler",), r"scheduler started with \d+ job"))


@pytest.mark.slow
def test_every_command_runs_with_every_documented_variable_set(tmp_path: Path) -> None:
    env = environment(tmp_path)
    finite = finite_commands(tmp_path)
    assert {path for path, *_ in finite} | {path for path, _ in SERVING} == leaf_commands(cli)
    for path, args, expected, stdin in finite:
        done = run_cli([*path, *args], env, stdin=stdin)
        said = done.stdout + done.stderr
        assert done.returncode == expected, f"{' '.join(path)}: {said}"
        assert "Configuration error" not in said and "Traceback" not in said, said
    for path, ready in SERVING:
        process = Process.cli(list(path), env)
        try:
            process.wait_for(ready)
        finally:
            code = process.stop(signal.SIGTERM)
        assert code == 0, process.log()
        assert "Traceback" not in process.log(), process.log()
