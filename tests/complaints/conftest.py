"""Fixtures the complaint tests borrow: the alert runtime and the local SMTP server."""

from tests.test_alert_delivery import smtp  # noqa: F401 - a fixture
from tests.test_alerts import rt  # noqa: F401 - a fixture
