"""Timing what a web user waits for: goals, figures, signed-in test clients, the printout."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "bench-password-1"


@dataclass(frozen=True)
class Goal:
    """A time a user should not wait longer than; `strict` means strictly less."""

    seconds: float
    strict: bool = False

    def met(self, seconds: float) -> bool:
        """Whether a measured time meets the goal."""
        return seconds < self.seconds if self.strict else seconds <= self.seconds

    def __str__(self) -> str:
        limit = f"{self.seconds * 1000:.0f} ms" if self.seconds < 1 else f"{self.seconds:g} s"
        return f"{'<' if self.strict else '≤'} {limit}"


@dataclass(frozen=True)
class Timing:
    """Wall seconds (what the user waits) and this process's CPU seconds of one path.

    On SQLite, which works inside this process, the CPU time is the whole work, and the steadier
    figure on a shared machine; PostgreSQL works in its own processes, so only wall time counts.
    """

    wall: float
    cpu: float


def timed(run: Callable[[], object], prepare: Callable[[], object] | None = None) -> Timing:
    """Medians of the timed runs.

    Without `prepare`: five runs after a warm-up (one after it for a path over a second).
    With it (it empties a cache): three runs, each after prepare().
    """
    def once() -> tuple[float, float]:
        if prepare is not None:
            prepare()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        return time.perf_counter() - wall, time.process_time() - cpu

    first = once()
    if prepare is not None:
        runs = [first, once(), once()]
    elif first[0] > 1.0:  # a slow path gains nothing from warming: one more run
        runs = [once()]
    else:
        runs = [once() for _ in range(5)]
    return Timing(statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))


@dataclass
class Figure:
    """One measured path, its goal (None for the reference) and a note."""

    name: str
    timing: Timing
    goal: Goal | None = None
    note: str = ""


def signed_in(app: Flask, username: str) -> FlaskClient:
    """A test client signed in through the login form."""
    client = app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/dang-nhap", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token})
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in of {username} answered HTTP {answer.status_code}")
    return client


def getter(client: FlaskClient, url: str) -> Callable[[], None]:
    """A request of the whole page (or file) at url that must answer 200."""
    def get() -> None:
        response = client.get(url)
        response.get_data()
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return get


def report(title: str, figures: list[Figure], cpu: bool) -> None:
    """Print figures against their goals (on wall time), with CPU time when `cpu`, and as
    ratios to the first figure, the reference."""
    base = figures[0].timing.wall
    print(f"\n{title}")
    for figure in figures:
        wall = figure.timing.wall
        verdict = "" if figure.goal is None else (
            f"goal {figure.goal}  {'ok' if figure.goal.met(wall) else 'MISS'}")
        print(f"  {figure.name:<66} {wall * 1000:8.0f} ms"
              + (f" (CPU {figure.timing.cpu * 1000:6.0f} ms)" if cpu else "")
              + f" {wall / base:7.1f}× count(*)  {verdict}"
              + (f"  ({figure.note})" if figure.note else ""))
