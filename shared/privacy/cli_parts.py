"""What the `bamsos pdp` commands share: settings to tools, and the options read and refused in
Bahasa Indonesia."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy.engine import Engine

from shared.privacy.access_log import AccessLog, Account
from shared.privacy.subject import CHANNELS
from shared.runtime.errors import ConfigError

REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,59}$")


@dataclass
class Tools:
    engine: Engine
    log: AccessLog
    amqp_url: str
    zone: ZoneInfo


@contextmanager
def tools() -> Iterator[Tools]:
    from shared.runtime.settings import load_settings
    from shared.runtime.storage import make_engine
    from shared.sop.office_calendar import office_zone

    settings = load_settings()
    try:
        log, zone = AccessLog.from_settings(settings), office_zone(settings)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    engine = make_engine(settings.database_url)
    try:
        yield Tools(engine, log, settings.amqp_url, zone)
    finally:
        engine.dispose()


def moment(value: str | None, zone: ZoneInfo, *, end: bool, option: str) -> datetime | None:
    """YYYY-MM-DD (a whole day: --sampai includes it) or YYYY-MM-DD HH:MM, in the office's zone."""
    if value is None:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(value, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
        whole_day = fmt == "%Y-%m-%d"
        return (moment + timedelta(days=1) if end and whole_day else moment).astimezone(UTC)
    raise click.BadParameter(f"'{value}' bukan tanggal YYYY-MM-DD atau YYYY-MM-DD JJ:MM", param_hint=option)


def account_option(channel: str | None, account: str | None) -> Account:
    if not channel or channel not in CHANNELS:
        raise click.BadParameter(f"kanal harus salah satu dari: {', '.join(CHANNELS)}", param_hint="--kanal")
    if not account or not account.strip():
        raise click.BadParameter("akun tidak boleh kosong", param_hint="--akun")
    return Account(channel, account.strip())


def reference_option(value: str | None) -> str:
    if not value or not REFERENCE.match(value):
        raise click.BadParameter(
            "nomor permohonan wajib: huruf, angka, titik, garis miring, garis bawah atau tanda hubung (1-60)",
            param_hint="--nomor-permohonan",
        )
    return value
