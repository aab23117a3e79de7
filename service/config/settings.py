"""Typed, frozen views of the validated configuration, built once from what load_config returns.

The marshmallow schema (service/config/schema.py and the per-area schemas) is the one place
defaults live: these classes declare none, so every key is read from the validated dict and a
key the schema stops filling fails when the settings are built, not at its first use.

Some tables stay validated mappings inside their typed area, because their consumers take a
table as it stands: each connector's options (a schema per connector type), the alert and
notice channel tables (their secrets are read by `*_file`/`*_env` reference from the table),
the per-job timings (optional keys that say which timing was given) and the portal's per-unit
codes and not-required rules.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from service.calendar.settings import DayOverride

T = TypeVar("T")


def build(cls: type[T], data: Mapping[str, Any]) -> T:
    """An instance of the dataclass `cls` from a validated table, converting nested types."""
    hints = typing.get_type_hints(cls)
    values = {item.name: data[item.name] if item.metadata.get("raw")
              else convert(hints[item.name], data[item.name])
              for item in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**values)


def convert(kind: Any, value: Any) -> Any:
    """A validated value as `kind` asks: a dataclass, a tuple of them, a mapping of them."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        return build(kind, value)  # type: ignore[type-var]
    if origin is tuple:
        return tuple(convert(args[0], item) for item in value)
    if origin is Mapping:
        return types.MappingProxyType({key: convert(args[1], item) for key, item in value.items()})
    if origin in (types.UnionType, typing.Union) and value is not None:
        return convert(next(arg for arg in args if arg is not type(None)), value)
    return value


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """[server]: where `tthc-monitor serve` listens."""

    host: str
    port: int
    threads: int


@dataclasses.dataclass(frozen=True)
class SchedulerSettings:
    """[scheduler]: the lease, misfire grace, the scan's look-back and per-job timings."""

    enabled: bool
    lease_seconds: int
    misfire_grace_seconds: int
    scan_recheck_minutes: int
    # Each job's table keeps only the keys given (which of every_minutes/every_seconds/at).
    jobs: Mapping[str, Mapping[str, Any]]


@dataclasses.dataclass(frozen=True)
class AlertRules:
    """[alerts.rules]: the recipient roles of each kind of alert."""

    near: tuple[str, ...]
    overdue: tuple[str, ...]
    escalation: tuple[str, ...]
    apology: tuple[str, ...]
    complaint_near: tuple[str, ...]
    complaint_overdue: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class AlertRetry:
    """[alerts.retry]: exponential backoff of failed deliveries."""

    attempts: int
    backoff_seconds: int
    max_backoff_seconds: int


@dataclasses.dataclass(frozen=True)
class AlertsSettings:
    """[alerts]: alerts to clerks and leaders about dossiers near or past their due date."""

    enabled: bool
    escalation_working_days: int
    office_hours_only: bool
    escalation_any_time: bool
    digest_threshold: int
    digest_at: str
    baseline_threshold: int
    base_url: str
    rules: AlertRules
    retry: AlertRetry
    # The channel tables and recipients as validated: channels read secrets by reference.
    email: Mapping[str, Any]
    webhook: Mapping[str, Any]
    recipients: tuple[Mapping[str, Any], ...]


@dataclasses.dataclass(frozen=True)
class NoticeRetry:
    """[notices.retry]: exponential backoff of notices that could not be sent."""

    attempts: int
    backoff_seconds: int
    max_backoff_seconds: int


@dataclasses.dataclass(frozen=True)
class NoticesSettings:
    """[notices]: Zalo and SMS notices to citizens."""

    enabled: bool
    channels: tuple[str, ...]
    events: tuple[str, ...]
    office_hours_only: bool
    consent: str
    max_event_age_hours: int
    recheck_minutes: int
    office_name: str
    lookup_url: str
    retry: NoticeRetry
    # The sender tables as validated: senders read their credentials by reference.
    sms: Mapping[str, Any]
    zalo_zns: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class CalendarSection:
    """[calendar]: overrides of the working calendar, office hours and the cut-off."""

    extra_days_off: tuple[DayOverride, ...]
    extra_working_days: tuple[DayOverride, ...]
    saturday_is_working: bool
    office_hours: tuple[str, ...]
    cutoff: str


@dataclasses.dataclass(frozen=True)
class DeadlinesSettings:
    """[deadlines]: how the deadline engine classifies and reports."""

    near_fraction: float
    extension_counts_late: bool
    report_due: str


@dataclasses.dataclass(frozen=True)
class Unit:
    """One [[units]] entry: an agency the deployment serves."""

    code: str
    name: str
    parent: str | None
    place: str
    agencies: Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class PortalRetry:
    """[portal.retry]: per-dossier backoff after a transient failure."""

    base_seconds: int
    max_seconds: int
    jitter: float
    max_consecutive_failures: int


@dataclasses.dataclass(frozen=True)
class PortalSettings:
    """[portal]: the mirror of dossiers to the National Public Service Portal."""

    mode: str
    gateway_url: str
    auth_path: str
    username: str
    password_env: str
    password_file: str | None
    dstcode: str
    units: Mapping[str, Mapping[str, Any]]
    connect_timeout_s: float
    read_timeout_s: float
    session_minutes: int
    retry: PortalRetry
    batch_size: int
    rescan_overlap_minutes: int
    permanent_errors: tuple[str, ...]
    auth_errors: tuple[str, ...]
    paid_online_code: str
    default_actor: str
    not_required: tuple[Mapping[str, Any], ...]
    reconcile_sample: int
    interval_minutes: int
    reconcile_interval_minutes: int


@dataclasses.dataclass(frozen=True)
class WebSettings:
    """[web]: sessions, sign-in limits, password hashing and uploads of the clerks' app."""

    secure_cookies: bool | str
    session_hours: int
    login_limit: str
    lockout_after: int
    lockout_minutes: int
    lockout_max_minutes: int
    password_time_cost: int
    password_memory_kib: int
    ratelimit_storage: str
    sqlite_mmap_mb: int
    upload_max_mb: int
    upload_folder: str
    upload_keep_hours: int


@dataclasses.dataclass(frozen=True)
class ReportsSettings:
    """[reports]: reporting windows, the form's recipient and reporting due dates."""

    windows: str
    recipient: str
    quarter_due_day: int
    year_due_day: int
    remind_days_before: int
    remind_roles: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SecuritySettings:
    """[security]: headers, request size, trusted proxies and who reads /metrics."""

    hsts: bool
    hsts_max_age: int
    trusted_proxy: str
    proxy_hops: int
    max_request_kb: int
    metrics: str
    metrics_networks: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ApiSettings:
    """[api]: paging and the per-client limit of the REST API."""

    page_size: int
    max_page_size: int
    rate_limit: str


@dataclasses.dataclass(frozen=True)
class LookupSettings:
    """[lookup]: the public citizen lookup."""

    rate_limit: str
    code_rate_limit: str
    public_url: str
    ratings: bool
    kiosk_networks: tuple[str, ...]
    kiosk_rate_limit: str


@dataclasses.dataclass(frozen=True)
class RetentionSettings:
    """[retention]: how long history and personal data are kept (0: forever)."""

    outbox_days: int
    runs_days: int
    alerts_days: int
    personal_data_years: int


@dataclasses.dataclass(frozen=True)
class ComplaintsSettings:
    """[complaints]: the time limit of complaints and the public form's limit."""

    limit_working_days: int
    near_working_days: int
    rate_limit: str


@dataclasses.dataclass(frozen=True)
class Settings:
    """The whole validated configuration, one typed area per table.

    `raw` is the validated dict it was built from, for the few consumers that take the file's
    tables as they stand (the admin page that shows them, connectors' option tables).
    """

    timezone: str
    database_url: str
    secret_key: str
    secret_key_file: str | None
    log_level: str
    log_format: str
    server: ServerSettings
    scheduler: SchedulerSettings
    alerts: AlertsSettings
    notices: NoticesSettings
    calendar: CalendarSection
    deadlines: DeadlinesSettings
    units: tuple[Unit, ...]
    # Per connector name, its validated options including "type" (a schema per type).
    connectors: Mapping[str, Mapping[str, Any]]
    portal: PortalSettings
    web: WebSettings
    reports: ReportsSettings
    security: SecuritySettings
    api: ApiSettings
    lookup: LookupSettings
    retention: RetentionSettings
    complaints: ComplaintsSettings
    raw: Mapping[str, Any] = dataclasses.field(repr=False, compare=False,
                                               metadata={"raw": True})

    @classmethod
    def from_dict(cls, validated: Mapping[str, Any]) -> Self:
        """The typed settings of a dict load_config validated (schema defaults filled in)."""
        return build(cls, {**validated, "raw": validated})

    @property
    def source_file(self) -> str | None:
        """The file the configuration was read from (None when built in memory)."""
        return self.raw.get("source_file")

