"""Send what is due: claim deliveries, group them per recipient, send, record every attempt.

Like an ingest run, a dispatch owns its transactions: one to claim, and two per message: one
that records the attempt before it is sent (and checks the claim is still ours), one that
records its outcome. Nothing is sent inside a transaction. A claim left by a dispatcher that
died expires, or is released at once by the scheduler that takes the lease over; an attempt
recorded but never finished is reconciled as "uncertain" and not sent again, so a message
goes out at most once per claim even when the process is killed mid-send.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.alerts.channels import Channel, DeliveryError
from service.alerts.claims import carried, claim, reconcile_interrupted, release
from service.alerts.complaints import complaint_delivery_rows, complaint_stale_reason
from service.alerts.digest import create_digests, first_digest_run, make_item, open_items
from service.alerts.messages import Rendered, render
from service.alerts.policy import AlertPolicy
from service.alerts.recipients import Directory, Recipient
from service.models import Alert, AlertDelivery, AlertDigest, AlertMessage, Dossier, Procedure
from service.models.alerts import AlertKind, DeliveryState, MessageKind
from service.models.scheduling import id_in
from service.vocabulary import DeadlineClass

log = logging.getLogger(__name__)
# After this many failures in a row a channel rests until the next run instead of timing out
# on every remaining message.
BREAKER = 3
BATCH = 500


@dataclass
class Work:
    """One message to send, and the deliveries (and digest) it carries."""

    channel: str
    recipient: Recipient
    message: Rendered
    deliveries: list[int]
    digest: int | None = None


@dataclass
class DeliveryReport:
    """What one dispatch run did."""

    sent: int = 0
    alerts: int = 0
    failed: int = 0
    gave_up: int = 0
    cancelled: int = 0
    deferred: int = 0
    digests_created: int = 0
    uncertain: int = 0
    errors: list[str] = field(default_factory=list)


def deliver(factory: sessionmaker[Session], channels: Mapping[str, Channel],
            policy: AlertPolicy, directory: Directory, now: dt.datetime, holder: str,
            limit: int = BATCH) -> DeliveryReport:
    """Send the deliveries and digests due at now; a failure is retried later, with backoff."""
    report = DeliveryReport()
    with factory.begin() as session:
        report.uncertain = reconcile_interrupted(session, now)
        day = policy.digest_due(now)
        # Digests are prepared once a day, by the first run after digest time; a recipient
        # who passes the threshold later that day gets combined messages instead.
        if day is not None and first_digest_run(session, now, day, policy):
            report.digests_created = create_digests(session, now, day, policy, directory,
                                                    channels)
        work = _prepare(session, channels, policy, directory, now, holder, limit, report)
    try:
        _send_all(factory, channels, work, policy, now, holder, report)
    finally:
        for channel in channels.values():
            channel.close()
    return report


def _delivery_rows(session: Session, ids: list[int]) -> list[Any]:
    """The claimed deliveries with their dossier's or complaint's facts."""
    return [*_dossier_delivery_rows(session, ids), *complaint_delivery_rows(session, ids)]


def _dossier_delivery_rows(session: Session, ids: list[int]) -> list[Row[Any]]:
    return list(session.execute(
        select(AlertDelivery.id.label("delivery_id"), AlertDelivery.channel,
               Alert.id.label("alert_id"), Alert.kind, Alert.level, Alert.recipient,
               Alert.due_at.label("alert_due"), Dossier.code,
               Procedure.name.label("procedure"), Dossier.applicant_name, Dossier.handler,
               Dossier.received_at, Dossier.due_at, Dossier.status, Dossier.deadline_class,
               Dossier.is_open, Dossier.extension_due_at)
        .join(Alert, Alert.id == AlertDelivery.alert_id)
        .join(Dossier, Dossier.id == Alert.dossier_id)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(id_in(AlertDelivery.id, ids)).order_by(Dossier.due_at, AlertDelivery.id)))


def stale_reason(row: Any) -> str | None:
    """Why an unsent alert no longer needs sending (shown to clerks), or None."""
    if row.kind.about_complaint:
        return complaint_stale_reason(row)
    if not row.is_open:
        return "Hồ sơ đã kết thúc xử lý"
    if row.status.is_paused:
        return "Hồ sơ đang tạm dừng chờ người nộp bổ sung"
    if row.due_at != row.alert_due:
        return "Hạn giải quyết đã thay đổi"
    if row.kind is AlertKind.APOLOGY and row.extension_due_at is not None:
        return "Đã có phiếu xin lỗi và hẹn lại ngày trả kết quả"
    if row.kind is AlertKind.NEAR and row.deadline_class is DeadlineClass.OVERDUE:
        return "Hồ sơ đã quá hạn"
    return None


def _prepare(session: Session, channels: Mapping[str, Channel], policy: AlertPolicy,
             directory: Directory, now: dt.datetime, holder: str, limit: int,
             report: DeliveryReport) -> list[Work]:
    """Claim, drop what went stale, and compose the messages of this run."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in _delivery_rows(session, claim(session, AlertDelivery, now, holder, limit)):
        reason = stale_reason(row)
        if reason is None and directory.get(row.recipient) is None:
            reason = "Người nhận không còn trong cấu hình"
        if reason is None and row.channel not in channels:
            reason = "Kênh gửi đã tắt"
        if reason is not None:
            report.cancelled += _cancel(session, AlertDelivery, row.delivery_id, reason, now,
                                        alert_id=row.alert_id)
        else:
            groups[(row.recipient, row.channel)].append(row)
    digests = {(d.recipient, d.channel): d.id for d in session.execute(
        select(AlertDigest.id, AlertDigest.recipient, AlertDigest.channel).where(
            AlertDigest.id.in_(claim(session, AlertDigest, now, holder, limit))))}
    work: list[Work] = []
    for key in sorted(set(groups) | set(digests)):
        recipient = directory.get(key[0])
        if recipient is None or key[1] not in channels:
            report.cancelled += _cancel(session, AlertDigest, digests[key],
                                        "Người nhận hoặc kênh gửi không còn", now)
            continue
        composed = _compose(session, recipient, key[1], groups.get(key, []),
                            digests.get(key), policy, now)
        if composed is None:
            report.cancelled += _cancel(session, AlertDigest, digests[key],
                                        "Không còn hồ sơ cần báo", now)
        work.extend(composed or [])
    return work


def _compose(session: Session, recipient: Recipient, channel: str, rows: list[Any],
             digest: int | None, policy: AlertPolicy, now: dt.datetime) -> list[Work] | None:
    """A digest, a bundle or single messages, by what is due and the recipient's count."""
    items = [make_item(row, row.kind, row.level, now, policy) for row in rows]
    ids = [row.delivery_id for row in rows]
    today, zone, link = policy.calendar.local(now).date(), policy.calendar.tz, policy.base_url
    if digest is not None:
        listed = open_items(session, now, policy, recipient.key).get(recipient.key, [])
        codes = {item.code for item in listed}
        listed += [item for item in items if item.code not in codes]
        if not listed:
            return None
        message = render(MessageKind.DIGEST, recipient.name, listed, zone, today, link)
        return [Work(channel, recipient, message, ids, digest)]
    if len(items) > policy.digest_threshold:
        message = render(MessageKind.BUNDLE, recipient.name, items, zone, today, link)
        return [Work(channel, recipient, message, ids)]
    return [Work(channel, recipient, render(MessageKind.SINGLE, recipient.name, [item], zone,
                                            today, link), [delivery_id])
            for item, delivery_id in zip(items, ids, strict=True)]


def _cancel(session: Session, model: type[AlertDelivery] | type[AlertDigest], row_id: int,
            reason: str, now: dt.datetime, alert_id: int | None = None) -> int:
    """Cancel one delivery or digest; an alert whose dossier moved on is cancelled too."""
    session.execute(update(model).where(model.id == row_id).values(
        state=DeliveryState.CANCELLED, last_error=reason, claimed_until=None, claimed_by=None)
        .execution_options(synchronize_session=False))
    if alert_id is not None:
        session.execute(update(Alert).where(Alert.id == alert_id, Alert.cancelled_at.is_(None))
                        .values(cancelled_at=now, cancel_reason=reason)
                        .execution_options(synchronize_session=False))
    return 1


def _send_all(factory: sessionmaker[Session], channels: Mapping[str, Channel],
              work: list[Work], policy: AlertPolicy, now: dt.datetime, holder: str,
              report: DeliveryReport) -> None:
    """Record each attempt, send it, and record its outcome, each in its own transaction."""
    failures: Counter[str] = Counter()
    for item in work:
        if failures[item.channel] >= BREAKER:
            with factory.begin() as session:
                release(session, carried(session, item.deliveries, item.digest))
            report.deferred += 1
            continue
        with factory.begin() as session:
            message_id = _start(session, item, now, holder)
        if message_id is None:
            log.warning("%s message to %s skipped: the claim passed to another dispatcher",
                        item.message.kind.value, item.recipient.key)
            continue
        error = None
        try:
            channels[item.channel].send(item.recipient, item.message)
        except Exception as exc:  # noqa: BLE001 - one bad message never stops the others
            error = str(exc) if isinstance(exc, DeliveryError) else (
                f"{type(exc).__name__}: {exc}")
        failures[item.channel] = failures[item.channel] + 1 if error else 0
        with factory.begin() as session:
            gave_up = _record(session, item, message_id, error, now, policy)
        _account(report, item, message_id, error, gave_up)


def _start(session: Session, item: Work, now: dt.datetime, holder: str) -> int | None:
    """Record an attempt before sending; None if any row it carries is no longer our claim."""
    rows = carried(session, item.deliveries, item.digest)
    if any(row.state is not DeliveryState.PENDING or row.claimed_by != holder
           or row.claimed_until is None or row.claimed_until <= now for row in rows):
        return None
    message = AlertMessage(channel=item.channel, recipient=item.recipient.key,
                           kind=item.message.kind, subject=item.message.subject[:500],
                           items=len(item.message.payload["items"]), started_at=now)
    session.add(message)
    session.flush()
    for row in rows:
        row.message_id = message.id
    return message.id


def _account(report: DeliveryReport, item: Work, message_id: int, error: str | None,
             gave_up: int) -> None:
    kind = item.message.kind.value
    if error is None:
        report.sent += 1
        report.alerts += len(item.deliveries)
        log.info("sent %s message %d on %s carrying %d alert(s)", kind, message_id,
                 item.channel, len(item.deliveries))
        return
    report.failed += 1
    report.gave_up += gave_up
    report.errors.append(error)
    log.warning("%s message %d on %s failed: %s", kind, message_id, item.channel, error)


def _record(session: Session, item: Work, message_id: int, error: str | None,
            now: dt.datetime, policy: AlertPolicy) -> int:
    """Record the attempt's outcome; mark what it carried sent, or schedule the next try.

    Rows another scheduler already reconciled as uncertain get the true outcome now.
    """
    session.execute(update(AlertMessage).where(AlertMessage.id == message_id)
                    .values(sent_at=None if error else now, error=error)
                    .execution_options(synchronize_session=False))
    gave_up = 0
    for row in carried(session, item.deliveries, item.digest):
        if row.state is DeliveryState.UNCERTAIN:
            row.attempts -= 1  # the reconciler counted this attempt already
        row.attempts += 1
        row.claimed_until = row.claimed_by = None
        if error is None:
            row.state, row.sent_at, row.last_error = DeliveryState.SENT, now, None
        elif row.attempts >= policy.retry_attempts:
            row.state, row.last_error, row.message_id = DeliveryState.FAILED, error, None
            gave_up += 1
        else:
            row.state, row.last_error, row.message_id = DeliveryState.PENDING, error, None
            row.next_attempt_at = now + backoff(policy, row.attempts, row.id)
    return gave_up


def backoff(policy: AlertPolicy, attempts: int, row_id: int) -> dt.timedelta:
    """Exponential delay after the n-th failure, capped, spread by up to 10 % per row so
    that retries of many deliveries do not all fall on the same minute."""
    delay = min(policy.backoff * 2 ** (attempts - 1), policy.max_backoff)
    return delay * (1 + (row_id * 7919 % 100) / 1000)
