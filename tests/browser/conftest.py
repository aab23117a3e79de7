"""Browser fixtures: Debian's Chromium driven by Playwright, and the clerks' seeded app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.clerks import NOW, seed
from tests.browser.support import ARGS, ARTIFACTS, CHROMIUM, served
from tests.conftest import make_settings


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def clerks_server(tmp_path: Path) -> Iterator[str]:
    """The clerks' tests' app with secure cookie defaults, on a loopback port, from a thread."""
    with served(make_settings(f"sqlite:///{tmp_path / 'clerks.db'}"), seed, NOW) as url:
        yield url
