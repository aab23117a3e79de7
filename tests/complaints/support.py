"""What the complaint tests share: the policy of a runtime and a unit to file under."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.complaints import ComplaintPolicy
from service.models import Unit
from service.runtime import Runtime
from tests.pages_support import ensure_unit


def policy_of(runtime: Runtime) -> ComplaintPolicy:
    """The [complaints] policy of the runtime's configuration (15 working days, near at 3)."""
    return runtime.complaint_policy


def unit(session: Session) -> Unit:
    """The test commune's unit."""
    return ensure_unit(session)
