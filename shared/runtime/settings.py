"""All configuration, in one pydantic-settings class: environment variables `BAMSOS_*`.

Read once in the entry point and passed down; nothing below it reads the environment.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, PositiveFloat, PositiveInt, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.runtime.topology import DELIVERY_LIMIT

# The office's time zone unless `BAMSOS_TIMEZONE` says otherwise: WIB, as Dukcapil Kota Pekanbaru.
DEFAULT_TIMEZONE = "Asia/Jakarta"


def amqp_urls(amqp_url: str) -> list[str]:
    """The broker URLs in `BAMSOS_AMQP_URL`: one, or one per node of a cluster, comma-separated
    (a comma in a password is written %2C). Raises ValueError when none is an AMQP URL."""
    urls = [u.strip() for u in amqp_url.split(",") if u.strip()]
    if not urls:
        raise ValueError("BAMSOS_AMQP_URL is empty")
    for url in urls:
        if not url.startswith(("amqp://", "amqps://")):
            raise ValueError(f"not an AMQP URL (amqp:// or amqps://): {url.split('@')[-1]!r}")
    return urls


class Settings(BaseSettings):
    """Every setting has a default that works on a developer's machine with the local servers."""

    model_config = SettingsConfigDict(env_prefix="BAMSOS_", env_file=None, extra="ignore")

    # One URL, or one per node of a RabbitMQ cluster, comma-separated (see `amqp_urls`).
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    # A primary and its standbys in one URL follow a promoted standby: libpq tries each host and
    # keeps the one that takes writes, e.g. postgresql+psycopg2://bamsos@/bamsos?host=db1:5432&
    # host=db2:5432&target_session_attrs=read-write (docs/servers.md).
    database_url: str = "postgresql+psycopg2://postgres@127.0.0.1:5432/bamsos"
    # N makes the SOP clock run N times faster: a 5-minute standard passes in 300/N real seconds.
    time_scale: PositiveFloat = 1.0
    # Which time counts toward a standard: office hours on working days, or every second.
    calendar: Literal["office", "24x7"] = "office"
    # Test and demo only: the services' SOP clock stands still at this instant (ISO, with its zone),
    # e.g. a Friday night before a holiday for the office-calendar end-to-end test. Never in production.
    frozen_now: AwareDatetime | None = None
    # One office file or folder per office (shared/sop/offices.py); unset: the one office below.
    offices_dir: Path | None = None
    # Opening periods by weekday; a lunch break or Friday prayer splits a day into several periods,
    # e.g. "mon-thu 07:30-12:00,13:00-16:00; fri 07:30-11:30,13:30-16:30" (shared/sop/hours.py).
    office_hours: str = "mon-thu 07:30-16:00; fri 07:30-16:30"
    # The office's time zone (WIB, WITA, WIT or an IANA name): its office hours, days, and the
    # times staff read.
    timezone: str = DEFAULT_TIMEZONE
    closed_dates: list[date] = Field(default_factory=list)  # an office's own closed days (cuti)
    org_chart: Path | None = None
    # Classification of inquiries that arrive without topic or service (docs/classification.md).
    classify_rules: Path | None = None
    triage_threshold: float = Field(default=0.5, ge=0, le=1)
    # Quorum queues are replicated over a cluster's nodes (RabbitMQ 4 replicates nothing else);
    # a message delivered `delivery_limit` times without an ack is dead-lettered by the broker.
    queue_type: Literal["classic", "quorum"] = "classic"
    delivery_limit: PositiveInt = DELIVERY_LIMIT
    # The worker loop: how many deliveries the broker may hand over unacked, and how many are
    # committed in one database transaction and one broker transaction.
    prefetch: PositiveInt = 200
    batch_size: PositiveInt = 100
    max_message_bytes: PositiveInt = 64 * 1024
    metrics_host: str = "127.0.0.1"
    # Per service, where its /metrics is served (0: not served); a service not named here serves on
    # its spec's default port (9101 intake … 9105 reporter).
    metrics_ports: dict[str, int] = Field(default_factory=dict)
    # A worker's /healthz (on its metrics port) answers 503 once its consume loop has not turned for
    # this long: stuck, though its metrics thread still answers (shared/runtime/health.py).
    health_stall_seconds: PositiveFloat = 90.0
    # Test-only failpoint: the worker exits at this point of its loop (see Worker.failpoint), in
    # every batch, or with `<point>:<message id>` only in a batch holding that message.
    crash_at: str | None = Field(
        default=None, pattern=r"^(before_db_commit|after_db_commit|after_amqp_commit)(:.+)?$"
    )
    # Least privilege (services/generators/access.py): with unit users, a task result counts only when
    # published by the broker user of the unit holding the task (`<prefix>staff.<unit>`).
    unit_users: bool = False
    broker_user_prefix: str = ""
    # Personal data of cases answered longer ago than this is erased by `bamsos retensi`.
    retention_days: PositiveInt = 365
    # The secret of the access log (shared/privacy/access_log.py): it hashes the accounts the log
    # names and chains its rows, so neither can be read back or rewritten without it. Unset, the
    # access log and `bamsos pdp` refuse to run.
    pdp_key: SecretStr | None = None
    # The laporan's letterhead (kop surat) and signature block; an empty name or NIP leaves a
    # dotted line to fill in by hand.
    report_government: str = "PEMERINTAH KOTA PEKANBARU"
    report_office: str = "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL"
    report_address: str = ""
    report_sop_number: str = "060/Dukcapil-PDIP/702/2020"
    report_city: str = "Pekanbaru"
    report_head_title: str = "Kepala Dinas Kependudukan dan Pencatatan Sipil Kota Pekanbaru"
    report_head_name: str = ""
    report_head_nip: str = ""
    # The citizen's side: the acknowledgement with the ticket at registration, the satisfaction
    # survey's answer window after the reply's delivery, and the notices' texts (an office's YAML,
    # default shared/sop/notices.yaml; checked at start).
    acknowledge: bool = True
    survey_hours: PositiveFloat = 24.0
    notice_templates: Path | None = None
    # Where a citizen asks about their personal data (UU 27/2022 arts. 5-13): the office's
    # data-protection contact, named in the privacy notice of an account's first acknowledgement.
    privacy_contact: str = Field(default="petugas kami melalui percakapan ini", min_length=1, max_length=300)
    # The gateway (services/gateway/): webhooks in, replies out. A platform whose secrets are not
    # all set is off: its webhook answers 404 and nothing is sent to it.
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8080, ge=0, le=65535)
    # At most this many platform API calls a second per channel (the platforms' own limits are
    # higher; a burst of answers must not get the office's number throttled).
    gateway_send_rate: PositiveFloat = 20.0
    # Attempts at a send answered 429, 5xx or not at all, with backoff (and Retry-After); after
    # them the reply goes back to the queue for later.
    gateway_send_attempts: PositiveInt = 5
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    # Sent instead of free text after the 24-hour customer-service window: "name:language",
    # e.g. "balasan_dukcapil:id" (an approved template without parameters).
    whatsapp_template: str | None = None
    telegram_secret_token: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    meta_verify_token: SecretStr | None = None
    meta_app_secret: SecretStr | None = None
    meta_page_token: SecretStr | None = None
    meta_api_url: str = "https://graph.facebook.com/v21.0"
    # The staff's web console (services/console/): where it listens, the key that signs its session
    # cookies (unset: a random one each start, so a restart logs everyone out, with a warning), and
    # whether the cookie is sent only over HTTPS (true behind TLS; false for local http).
    console_host: str = "127.0.0.1"
    console_port: int = Field(default=8000, ge=0, le=65535)
    console_secret: SecretStr | None = None
    console_secure_cookie: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["console", "json"] = "console"

    @field_validator("amqp_url")
    @classmethod
    def _check_amqp_urls(cls, value: str) -> str:
        amqp_urls(value)  # a bad list fails at start, not at the first reconnect
        return value


def load_settings() -> Settings:
    """The settings from the environment, with logging set up by them: how every command starts."""
    from shared.runtime import logs

    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    return settings
