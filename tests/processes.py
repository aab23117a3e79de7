"""Real `tthc-monitor` processes for tests: started, read line by line, stopped."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "service.cli.run"]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This machine's environment without TTHC_* variables, unbuffered, importing this tree."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TTHC_")}
    env.update({"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def lan_address(fallback: str) -> str:
    """This machine's address on its network, as a clerk's PC on the office LAN reaches the
    server; `fallback` (a loopback address) when it has none that can be bound.

    The address is the one the kernel would send from towards a private network; a UDP
    "connect" picks it without sending anything.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 9))
            address = str(probe.getsockname()[0])
        if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0":
            return fallback
        with socket.socket() as bound:
            bound.bind((address, 0))
        return address
    except OSError:
        return fallback


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at host right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def run_cli(args: Sequence[str], env: Mapping[str, str], stdin: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run one `tthc-monitor` command to its end."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(env), input=stdin, cwd=ROOT)


def migrate_and_add_clerk(env: Mapping[str, str], username: str, password: str) -> None:
    """`db upgrade`, then a clerk of the commune 000.32.26.H26 with this password."""
    upgraded = run_cli(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    added = run_cli(["user", "add", username, "--role", "clerk", "--unit", "000.32.26.H26"],
                    env, stdin=f"{password}\n{password}\n")
    assert added.returncode == 0, added.stderr


class Process:
    """A long-running subprocess whose output lines (stdout and stderr) are kept as they come."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str],
                 cwd: Path = ROOT) -> None:
        self.popen = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), text=True,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT)
        self.arrived = threading.Condition()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @classmethod
    def cli(cls, args: Sequence[str], env: Mapping[str, str]) -> Process:
        """Start `tthc-monitor ARGS`."""
        return cls([*CLI, *args], env)

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self.arrived:
                self.seen.append(line)
                self.arrived.notify_all()
        with self.arrived:
            self.arrived.notify_all()

    def count(self, pattern: str) -> int:
        """How many output lines so far match pattern."""
        with self.arrived:
            return sum(1 for line in self.seen if re.search(pattern, line))

    def log(self) -> str:
        """Everything the process printed so far."""
        with self.arrived:
            return "".join(self.seen)

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 120) -> None:
        """Block until `count` lines match pattern; fail with the output if the process ends."""
        def ready() -> bool:
            return (sum(1 for line in self.seen if re.search(pattern, line)) >= count
                    or self.popen.poll() is not None)

        with self.arrived:
            self.arrived.wait_for(ready, timeout)
        if self.count(pattern) < count:
            raise AssertionError(f"no line matching {pattern!r} from {self.popen.args}; "
                                 f"exit code {self.popen.poll()}; output:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Send sig (if still running) and return the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait(timeout=timeout)
        self.reader.join(timeout=10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        return code
