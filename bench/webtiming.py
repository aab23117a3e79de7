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


def timed(run: Callable[[], object], prepare: Callable[[], object] | None = None) -> float:
    """Median seconds of the timed runs.

    Without `prepare`: five runs after a warm-up (one after it for a path over a second).
    With it (it empties a cache): three runs, each after prepare().
    """
    def once() -> float:
        if prepare is not None:
            prepare()
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    first = once()
    if prepare is not None:
        return statistics.median([first, once(), once()])
    if first > 1.0:  # a slow path gains nothing from warming: one more run
        return once()
    return statistics.median([once() for _ in range(5)])


@dataclass
class Figure:
    """One measured path, its goal (None for the reference) and a note."""

    name: str
    seconds: float
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



def report(title: str, figures: list[Figure]) -> None:
    """Print figures against their goals and as ratios to the first one, the reference."""
    base = figures[0].seconds
    print(f"\n{title}")
    for figure in figures:
        verdict = "" if figure.goal is None else (
            f"goal {figure.goal}  {'ok' if figure.goal.met(figure.seconds) else 'MISS'}")
        print(f"  {figure.name:<66} {figure.seconds * 1000:8.0f} ms "
              f"{figure.seconds / base:7.1f}× count(*)  {verdict}"
              + (f"  ({figure.note})" if figure.note else ""))
