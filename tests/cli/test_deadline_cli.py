"""The `deadline` command: the acceptance contract, configuration and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from service.cli.deadline import command

OVERRIDES_2026 = """
[calendar]
extra_days_off = [{date = 2026-01-02, reason = "Nghỉ bù Tết Dương lịch"}]
extra_working_days = [{date = 2026-01-10, reason = "Làm bù cho ngày 02/01/2026"}]
"""


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(command, list(args), env=env)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(OVERRIDES_2026, encoding="utf-8")
    return path


def test_prints_the_due_instant_with_offset(config_file: Path) -> None:
    result = run("--received", "2026-02-13T09:00", "--limit", "3", "--unit", "working_days",
                 "--config", str(config_file))
    assert (result.exit_code, result.stdout) == (0, "2026-02-25T17:00:00+07:00\n")


def test_default_configuration_comes_from_tthc_config(config_file: Path) -> None:
    result = run("--received", "2026-01-09T10:00", "--limit", "1", "--unit", "working_days",
                 env={"TTHC_CONFIG": str(config_file)})
    assert (result.exit_code, result.stdout) == (0, "2026-01-10T17:00:00+07:00\n")


def test_configuration_overrides_change_the_due_date(tmp_path: Path) -> None:
    path = tmp_path / "storm.toml"
    path.write_text(OVERRIDES_2026.replace(
        '"Nghỉ bù Tết Dương lịch"}]',
        '"Nghỉ bù Tết Dương lịch"}, {date = 2026-02-24, reason = "Bão"}]',
    ), encoding="utf-8")
    result = run("--received", "2026-02-13T09:00", "--limit", "3", "--config", str(path))
    assert result.stdout == "2026-02-26T17:00:00+07:00\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--received", "2026-03-02T16:00", "--unit", "same_day"), "2026-03-03T17:00:00+07:00"),
        (("--received", "2026-03-02T16:00", "--limit", "0", "--unit", "same_day"),
         "2026-03-03T17:00:00+07:00"),
        (("--received", "2026-03-02T10:00", "--limit", "2", "--unit", "working_hours"),
         "2026-03-02T14:00:00+07:00"),
        (("--received", "2026-02-13T18:00Z", "--limit", "3"), "2026-02-26T17:00:00+07:00"),
        (("--received", "2026-02-13T09:00+07:00", "--limit", "3"), "2026-02-25T17:00:00+07:00"),
    ],
)
def test_units_and_offsets(config_file: Path, args: tuple[str, ...], expected: str) -> None:
    result = run(*args, "--config", str(config_file))
    assert (result.exit_code, result.stdout) == (0, expected + "\n")


def test_explain_adds_vietnamese_lines_after_the_instant(config_file: Path) -> None:
    result = run("--received", "2026-02-13T09:00", "--limit", "3", "--explain",
                 "--config", str(config_file))
    lines = result.stdout.splitlines()
    assert lines[0] == "2026-02-25T17:00:00+07:00"
    assert "Bỏ qua Thứ Ba 17/02/2026: Tết Nguyên Đán." in lines
    assert lines[-1] == "Hạn giải quyết: 17:00 Thứ Tư 25/02/2026."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--received", "2026-02-13T09:00", "--limit", "3", "--unit", "weeks"), "'weeks'"),
        (("--received", "2026-02-13T09:00", "--limit", "-1"), "at least 1"),
        (("--received", "2026-02-13T09:00", "--limit", "-1", "--unit", "working_hours"),
         "must not be negative"),
        (("--received", "yesterday", "--limit", "3"), "--received: expected an ISO 8601"),
        (("--received", "2026-02-30T09:00", "--limit", "3"), "--received"),
        (("--received", "2026-02-13T09:00", "--limit", "three"), "'three'"),
        (("--received", "2026-02-13T09:00"), "--limit is required"),
        (("--limit", "3"), "--received"),
        (("--received", "2026-02-13T09:00", "--limit", "3", "--bogus"), "--bogus"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    config_file: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(*args, "--config", str(config_file))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[calendar]\nextra_days_off = [{date = 2026-03-03, reason = "x"}]\n'
         'extra_working_days = [{date = 2026-03-03, reason = "y"}]\n', "2026-03-03"),
        ('[calendar]\noffice_hours = ["07:30-12:00", "11:00-17:00"]\n', "office_hours"),
        ("[calendar\n", "not valid TOML"),
    ],
)
def test_bad_configuration_exits_2_with_one_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    result = run("--received", "2026-02-13T09:00", "--limit", "3", "--config", str(path))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_missing_configuration_file_exits_2(tmp_path: Path) -> None:
    result = run("--received", "2026-02-13T09:00", "--limit", "3",
                 "--config", str(tmp_path / "absent.toml"))
    assert result.exit_code == 2
    assert "file not found" in result.stderr
