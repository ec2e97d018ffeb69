"""Retention of personal data (UU 27/2022 on personal data protection): past a configured age a
closed case's citizen data is erased, while every count, step and time the reports need stays.

Erased: the account, the name, the citizen's text, the platform's id of a photo or file they sent
and the reply's text of closed cases; the sent messages kept in the outbox (they carry the same);
the gateway's record of what it sent (it names the account). Kept: the case's channel, topic,
service, times, SOP path and its whole control card, so past laporan and metrics come out the same.

On the broker, the body of every dead letter older than the same period (the message as it came,
personal data and all) is replaced by a marker; its headers (why, from which queue, when) stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.runtime.deadletters import Redacted, redact_older_than
from shared.runtime.storage import gateway_messages, gateway_sends, inquiries, outbox

ERASED = "(dihapus)"


@dataclass(frozen=True)
class Erased:
    cases: int
    messages: int


def erase_personal_data(engine: Engine, *, older_than_days: int, now: datetime) -> Erased:
    """Erase the personal data of cases answered more than `older_than_days` ago. Idempotent."""
    cutoff = now - timedelta(days=older_than_days)
    c = inquiries.c
    with engine.begin() as db:
        cases = db.execute(
            sa.update(inquiries)
            .where(c.replied_at < cutoff, c.account != ERASED)
            .values(
                account=ERASED,
                name=None,
                text=ERASED,
                reply_text=sa.case((c.reply_text.is_(None), None), else_=ERASED),
                media_id=None,  # the platform's id of the citizen's photo or file: it fetches it
            )
        ).rowcount
        messages = db.execute(sa.delete(outbox).where(outbox.c.sent_at < cutoff)).rowcount
        old_sends = sa.select(gateway_sends.c.reply_id).where(gateway_sends.c.sent_at < cutoff)
        db.execute(sa.delete(gateway_messages).where(gateway_messages.c.reply_id.in_(old_sends)))
        messages += db.execute(sa.delete(gateway_sends).where(gateway_sends.c.sent_at < cutoff)).rowcount
    return Erased(cases, messages)


def erase_dead_letters(amqp_url: str, *, older_than_days: int, now: datetime) -> Redacted:
    """Erase the bodies of dead letters dead-lettered more than `older_than_days` ago. Idempotent."""
    return redact_older_than(amqp_url, now - timedelta(days=older_than_days), now)
