"""The README's "Vận hành" section, rehearsed in order without systemd, on PostgreSQL + gunicorn.

The package, account, venv and systemd lines are skipped (this suite runs in the environment
the same `pip install` built; systemd is not running here); every other line runs as written,
with /etc and /opt moved under a temporary folder and the database named for this run. The
units' ExecStart commands then run as the units would, and a clerk signs in over plain HTTP at
a loopback address other than 127.0.0.1, under a LAN-looking host name.
"""

from __future__ import annotations

import configparser
import ipaddress
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL
from tests.pages_support import TOKEN_RE
from tests.processes import ROOT, Process, clean_env, free_port, lan_address

# The clerk signs in from the LAN: this machine's own address where it has one.
HOST = lan_address(fallback="127.0.0.3")
PASSWORD = "Mật-khẩu-quản-trị-2026"
SKIPPED = ("apt-get ", "useradd ", "python3.11 -m venv ", "/opt/tthc-monitor/venv/bin/pip ",
           "systemctl ", "nginx -t", "ln -s /etc/nginx/")
UNITS = ("tthc-monitor-web.service", "tthc-monitor-scheduler.service")


def readme_lines() -> list[str]:
    """The command lines of the section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- rehearsed by tests/deploy/test_deploy.py", 1)[1].split("\n\n", 2)[1]
    return [line[4:] for line in block.splitlines() if line.startswith("    ")]


class Rehearsal:
    """One run's temporary root, database and the rewriting of each line for it."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "root"
        self.venv = Path(sys.executable).parent
        name = f"tthc_rehearsal_{uuid.uuid4().hex[:8]}"
        self.role, self.db = name, name
        server = make_url(PG_URL or "")
        self.pg = {"PGHOST": server.host or "127.0.0.1", "PGPORT": str(server.port or 5432),
                   "PGUSER": server.username or "postgres"}
        self.url = server.set(database=self.db).render_as_string(hide_password=False)
        for folder in ("etc/systemd/system", "etc/nginx/sites-available", "opt"):
            (self.root / folder).mkdir(parents=True)

    def env(self) -> dict[str, str]:
        return clean_env({**self.pg, "PW": PASSWORD})

    def paths(self, line: str) -> str:
        line = line.replace("/opt/tthc-monitor/venv/bin/", f"{self.venv}/")
        return line.replace("/opt/", f"{self.root}/opt/").replace("/etc/", f"{self.root}/etc/")

    def rewrite(self, line: str) -> str:
        """The line as it runs here: no other accounts, this run's database and folders."""
        line = line.replace("runuser -u postgres -- ", "").replace("runuser -u tthc -- ", "")
        line = re.sub(r" -o tthc| -g tthc", "", line)
        line = line.replace("createuser tthc", f"createuser {self.role}")
        line = line.replace("createdb -O tthc tthc", f"createdb -O {self.role} {self.db}")
        line = line.replace("http://127.0.0.1:8080", "$WEB")
        if line.startswith("tthc user add"):
            line += ' <<< "$PW"$\'\\n\'"$PW"'
        line = self.paths(line)
        if line.endswith("/etc/tthc-monitor/env") and line.startswith("install "):
            # The file's own paths move too, and the database is this run's, not the socket's.
            line += (f" && sed -i -e 's|^TTHC_DATABASE_URL=.*|TTHC_DATABASE_URL={self.url}|' "
                     f"-e 's|=/etc/|={self.root}/etc/|' {self.root}/etc/tthc-monitor/env")
        return line

    def unit(self, name: str) -> configparser.ConfigParser:
        """A unit file rendered for this machine: its paths moved, run as this user."""
        text = self.paths((ROOT / "deploy" / name).read_text(encoding="utf-8"))
        text = re.sub(r"^(User|Group)=tthc$", r"\1=root", text, flags=re.M)
        rendered = self.root / "etc/systemd/system" / name
        rendered.write_text(text, encoding="utf-8")
        parser = configparser.ConfigParser(strict=True, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(text.replace("\\\n", " "))
        return parser


def environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as systemd's EnvironmentFile= reads them."""
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def lint_nginx(text: str, web_bind: str) -> None:
    """What nginx -t would reject first, and the headers the app relies on."""
    body = re.sub(r"#.*", "", text)
    assert body.count("{") == body.count("}")
    statements = [s.strip() for s in re.split(r"[;{}]", body) if s.strip()]
    assert "listen 443 ssl" in statements
    assert f"proxy_pass http://{web_bind}" in statements
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header}" in statements


@pytest.fixture
def rehearsal(tmp_path: Path) -> Iterator[Rehearsal]:
    if not PG_URL:
        pytest.skip("TTHC_TEST_DATABASE_URL is not set: the rehearsal needs PostgreSQL")
    run = Rehearsal(tmp_path)
    yield run
    for command in (["dropdb", "--if-exists", run.db], ["dropuser", "--if-exists", run.role]):
        subprocess.run(command, env=run.env(), capture_output=True, timeout=60, check=False)


def run_lines(run: Rehearsal, lines: list[str], extra: dict[str, str]) -> None:
    kept = [run.rewrite(line) for line in lines if not line.startswith(SKIPPED)]
    script = "set -euo pipefail\n" + "\n".join(kept) + "\n"
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env={**run.env(), **extra},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"


def start_unit(run: Rehearsal, name: str, port: int) -> Process:
    service = run.unit(name)["Service"]
    argv = shlex.split(service["ExecStart"])
    argv = [a.replace("127.0.0.1:8080", f"{HOST}:{port}") for a in argv]
    env = {**run.env(), **environment_file(Path(service["EnvironmentFile"]))}
    workdir = Path(service["WorkingDirectory"])
    workdir.mkdir(parents=True, exist_ok=True)
    return Process(argv, env, cwd=workdir)


def sign_in(url: str) -> requests.Response:
    browser = requests.Session()
    browser.headers["Host"] = "may-chu-mot-cua.lan"
    page = browser.get(f"{url}/dang-nhap", timeout=30)
    token = TOKEN_RE.search(page.text).group(1)  # type: ignore[union-attr]
    answer = browser.post(f"{url}/dang-nhap", timeout=30, allow_redirects=False, data={
        "username": "admin", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.text
    return browser.get(f"{url}/tong-quan", timeout=30, allow_redirects=False)


@pytest.mark.slow
@pytest.mark.postgres
def test_the_operations_section_runs_in_order_to_a_signed_in_clerk(
        rehearsal: Rehearsal) -> None:
    lines = readme_lines()
    for name in UNITS:
        rehearsal.unit(name)
    if shutil.which("systemd-analyze"):
        rendered = [str(rehearsal.root / "etc/systemd/system" / name) for name in UNITS]
        (rehearsal.root / "etc/tthc-monitor").mkdir(parents=True)
        (rehearsal.root / "etc/tthc-monitor/env").touch()
        verified = subprocess.run(["systemd-analyze", "verify", *rendered],
                                  capture_output=True, text=True, timeout=60)
        assert verified.returncode == 0 and not verified.stderr, verified.stderr
        shutil.rmtree(rehearsal.root / "etc/tthc-monitor")
    lint_nginx((ROOT / "deploy/nginx-tthc-monitor.conf").read_text(encoding="utf-8"),
               "127.0.0.1:8080")
    start = next(i for i, line in enumerate(lines) if line.startswith("systemctl enable"))
    run_lines(rehearsal, lines[:start], {})
    port = free_port(HOST)
    web = start_unit(rehearsal, UNITS[0], port)
    scheduler = start_unit(rehearsal, UNITS[1], port)
    try:
        web.wait_for(rf"Listening at: http://{re.escape(HOST)}:{port}")
        scheduler.wait_for("scheduler started with")
        dashboard = sign_in(f"http://{HOST}:{port}")
        assert dashboard.status_code == 200 and "Đăng xuất" in dashboard.text
        run_lines(rehearsal, lines[start + 1:], {"WEB": f"http://{HOST}:{port}"})
        health = requests.get(f"http://{HOST}:{port}/healthz", timeout=30).json()
        assert (health["status"], health["database"], health["scheduler"]) == ("ok",) * 3
    finally:
        codes = (web.stop(), scheduler.stop())
    assert codes == (0, 0), web.log() + scheduler.log()
    # gunicorn, unlike serve, cannot warn at start-up; the app says so at the first client
    # that arrives over plain HTTP from beyond this machine.
    beyond_loopback = not ipaddress.ip_address(HOST).is_loopback
    assert ("over plain HTTP" in web.log()) is beyond_loopback, web.log()
    # One start-up line names the jobs; APScheduler's two lines per job are not repeated.
    assert "Adding job" not in scheduler.log() and "Added job" not in scheduler.log()
    assert (rehearsal.root / "etc/nginx/sites-available/tthc-monitor").exists()
