"""Retention of personal data (UU 27/2022 on personal data protection): past a configured age a
closed case's citizen data is erased, while every count, step and time the reports need stays.

Erased: the account, the name, the citizen's text, the platform's id of a photo or file they sent
and the reply's text of closed cases; the sent messages kept in the outbox (they carry the same);
the gateway's record of what it sent (it names the account); the website chat box's
conversations. Kept: the case's channel, topic, service, times, SOP path and its whole control
card, so past laporan and metrics come out the same.

On the broker, the body of every dead letter older than the same period (the message as it came,
personal data and all) is replaced by a marker; its headers (why, from which queue, when) stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shared.runtime.deadletters import Redacted, redact_older_than
from shared.runtime.storage import gateway_messages, gateway_sends, inquiries, outbox, web_messages

ERASED = "(dihapus)"


@dataclass(frozen=True)
class Erased:
    cases: int
    messages: int


def erase_personal_data(engine: Engine, *, older_than_days: int, now: datetime) -> Erased:
    """Erase the personal data of cases answered more than `older_than_days` ago. Idempotent."""
    cutoff = now - timedelta(days=older_than_days)
    with engine.begin() as db:
        cases = erase_cases(db, inquiries.c.replied_at < cutoff)
        messages = erase_sent(db, outbox.c.sent_at < cutoff, gateway_sends.c.sent_at < cutoff)
        # The website chat box's conversations (the visitor's questions, the answers) as old.
        messages += db.execute(sa.delete(web_messages).where(web_messages.c.created_at < cutoff)).rowcount
    return Erased(cases, messages)


def erase_cases(db: Connection, which: sa.ColumnElement[bool]) -> int:
    """Erase the citizen's data of the cases `which` selects (answered ones: the caller's
    condition says so), keeping what the counts need. Returns how many were erased now."""
    c = inquiries.c
    return db.execute(
        sa.update(inquiries)
        .where(which, c.account != ERASED)
        .values(
            account=ERASED,
            name=None,
            text=ERASED,
            reply_text=sa.case((c.reply_text.is_(None), None), else_=ERASED),
            media_id=None,  # the platform's id of the citizen's photo or file: it fetches it
        )
    ).rowcount


def erase_sent(db: Connection, outbox_rows: sa.ColumnElement[bool], sends: sa.ColumnElement[bool]) -> int:
    """Delete the outbox rows and the gateway's sends (with their platform message ids) the two
    conditions select; how many messages went."""
    messages = db.execute(sa.delete(outbox).where(outbox_rows)).rowcount
    chosen = sa.select(gateway_sends.c.reply_id).where(sends)
    db.execute(sa.delete(gateway_messages).where(gateway_messages.c.reply_id.in_(chosen)))
    return messages + db.execute(sa.delete(gateway_sends).where(sends)).rowcount


def erase_dead_letters(amqp_url: str, *, older_than_days: int, now: datetime) -> Redacted:
    """Erase the bodies of dead letters dead-lettered more than `older_than_days` ago. Idempotent."""
    return redact_older_than(amqp_url, now - timedelta(days=older_than_days), now)
