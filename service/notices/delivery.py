"""Send the notices that are due: claim, check consent and opt-out, send, record every try.

A dispatch owns its transactions, as the alerts dispatcher does: one to claim and prepare,
one per notice to record its outcome. Nothing is sent inside a transaction, a failure is
retried later with backoff, and one citizen's failure only ever delays that citizen.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from service.models import CitizenNotice, NoticeAttempt
from service.models.notices import NoticeState
from service.models.scheduling import claim
from service.notices.facts import Ready, prepare
from service.notices.phones import masked
from service.notices.policy import NoticePolicy
from service.notices.senders import QuotaError, RecipientError, Sender, SendError

log = logging.getLogger(__name__)
CLAIM_FOR = dt.timedelta(minutes=10)
# After this many failures in a row a channel rests until the next run instead of timing out
# on every remaining citizen.
BREAKER = 3
BATCH = 200


@dataclass
class NoticeReport:
    """What one dispatch run did."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    skipped: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What the channels made of one notice."""

    tries: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    sent: str | None = None
    transient: bool = False
    quota: bool = False
    # A channel that could carry it rests this run (quota used up, or too many failures).
    rested: bool = False
    retry_at: dt.datetime | None = None

    @property
    def unreachable(self) -> bool:
        """Every channel tried said this phone cannot be reached, and none is left to try."""
        return bool(self.tries) and not (self.sent or self.transient or self.quota
                                         or self.rested)


def dispatch(factory: sessionmaker[Session], senders: Mapping[str, Sender],
             policy: NoticePolicy, now: dt.datetime, holder: str,
             limit: int = BATCH) -> NoticeReport:
    """Send the notices due at now, if now is a time notices may go out."""
    report = NoticeReport()
    if policy.office_hours_only and not policy.calendar.is_office_time(now):
        return report
    with factory.begin() as session:
        ready = prepare(session, claim(session, CitizenNotice, NoticeState.PENDING, now, holder,
                                          now + CLAIM_FOR, limit), senders, policy, now)
        report.skipped = len([item for item in ready if item.skip])
    resting: dict[str, dt.datetime | None] = {}
    failures: Counter[str] = Counter()
    for item in ready:
        if item.skip:
            continue
        outcome = _send(item, senders, policy, resting, failures, now)
        with factory.begin() as session:
            _record(session, item, outcome, policy, now, report)
    return report


def _send(item: Ready, senders: Mapping[str, Sender], policy: NoticePolicy,
          resting: dict[str, dt.datetime | None], failures: Counter[str],
          now: dt.datetime) -> Outcome:
    """Try the channels in order until one takes the message or a retry is needed.

    A channel that cannot reach this phone, or whose quota is used up, hands over to the
    next; a network or server fault does not, since the message may have gone through.
    """
    outcome = Outcome()
    for name in policy.channels:
        sender = senders.get(name)
        if sender is None or not sender.supports(item.kind.value):
            continue
        if name in resting:
            outcome.rested, outcome.retry_at = True, _later(outcome.retry_at, resting[name])
            continue
        try:
            provider_id = sender.send(item.message, now)
        except RecipientError as exc:
            outcome.tries.append((name, None, masked(str(exc))))
            continue
        except QuotaError as exc:
            outcome.tries.append((name, None, masked(str(exc))))
            resting[name] = exc.retry_at
            outcome.quota, outcome.retry_at = True, _later(outcome.retry_at, exc.retry_at)
            continue
        except Exception as exc:  # noqa: BLE001 - one bad notice never stops the others
            text = str(exc) if isinstance(exc, SendError) else f"{type(exc).__name__}: {exc}"
            outcome.tries.append((name, None, masked(text)))
            failures[name] += 1
            if failures[name] >= BREAKER:
                resting[name] = None
            outcome.transient = True
            return outcome
        failures[name] = 0
        outcome.tries.append((name, provider_id, None))
        outcome.sent = name
        return outcome
    return outcome


def _later(first: dt.datetime | None, second: dt.datetime | None) -> dt.datetime | None:
    """The earlier known instant a resting channel comes back (None: unknown)."""
    known = [t for t in (first, second) if t is not None]
    return min(known) if known else None


def _record(session: Session, item: Ready, outcome: Outcome, policy: NoticePolicy,
            now: dt.datetime, report: NoticeReport) -> None:
    """Record the tries; mark the notice sent, failed, or due again later."""
    row = session.get_one(CitizenNotice, item.notice_id)
    row.claimed_until = row.claimed_by = None
    for channel, provider_id, error in outcome.tries:
        session.add(NoticeAttempt(notice_id=row.id, channel=channel, at=now,
                                  provider_id=provider_id, error=error))
    errors = "; ".join(error for _, _, error in outcome.tries if error)
    if outcome.sent:
        row.attempts += 1
        row.state, row.sent_at, row.channel, row.reason = NoticeState.SENT, now, outcome.sent, None
        report.sent += 1
        return
    if outcome.unreachable:
        row.attempts += 1
        row.state = NoticeState.FAILED
        row.reason = f"Không gửi được tới số điện thoại này: {errors}"
        report.gave_up += 1
        return
    if not outcome.tries:  # every usable channel rests this run: not a try of this notice
        row.next_attempt_at = outcome.retry_at or now + policy.backoff
        report.deferred += 1
        return
    _retry_later(row, outcome, errors, policy, now, report)


def _retry_later(row: CitizenNotice, outcome: Outcome, errors: str, policy: NoticePolicy,
                 now: dt.datetime, report: NoticeReport) -> None:
    row.attempts += 1
    report.failed += 1
    report.errors.append(errors)
    log.warning("notice %d (%s) not sent, try %d: %s", row.id, row.kind.value, row.attempts,
                errors)
    if row.attempts >= policy.retry_attempts:
        row.state = NoticeState.FAILED
        row.reason = f"Gửi không thành công sau {row.attempts} lần thử: {errors}"
        report.gave_up += 1
        return
    quota = outcome.quota and not outcome.transient
    later = now + policy.retry_after(row.attempts, row.id)
    if not outcome.transient and outcome.retry_at is not None:
        later = max(outcome.retry_at, now)  # when a channel that could carry it is back
    row.next_attempt_at = later
    when = later.astimezone(policy.calendar.tz).strftime("%H:%M %d/%m/%Y")
    what = "Nhà cung cấp báo hết hạn mức gửi" if quota else "Lỗi tạm thời"
    row.reason = f"{what}, sẽ gửi lại lúc {when}: {errors}"
