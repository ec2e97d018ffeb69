"""Erasure on a data subject's request: retention's erasure (shared/runtime/retention.py) for one
account, now. A case still open is left as it is and named: its answer needs the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.privacy.access_log import AccessLog, Action
from shared.privacy.subject import Holdings, Matcher, outbox_rows
from shared.runtime.deadletters import redact_matching
from shared.runtime.retention import erase_cases, erase_sent
from shared.runtime.storage import gateway_sends, inquiries, outbox, web_messages


@dataclass(frozen=True)
class ErasureReport:
    cases: int  # cases whose personal fields were erased
    left_open: list[str]  # the tickets (or ids) of cases still open, left as they were
    messages: int  # outbox rows, gateway sends and website box messages deleted
    dead_letters: int  # dead letters whose body was erased


def erase(
    engine: Engine,
    amqp_url: str,
    held: Holdings,
    log: AccessLog,
    *,
    actor: str,
    reference: str,
    now: datetime,
    client: str | None = None,
) -> ErasureReport:
    """Erase what `held` (from `find`) found, but the open cases; logged with the request's
    reference (and the console's `client` address) in the same transaction. The dead letters go
    first: run again after a failure, the database still names the account, so the rest is found
    and erased then."""
    account, closed = held.account, held.case_ids - {c["inquiry_id"] for c in held.open_cases}
    matcher = Matcher(account, closed)
    dead = redact_matching(amqp_url, matcher, now).redacted if held.dead_letters else 0
    i, sends = inquiries.c, gateway_sends.c
    with engine.begin() as db:
        cases = erase_cases(db, sa.and_(i.inquiry_id.in_(closed), i.replied_at.is_not(None)))
        # Sent messages only: an unsent row is published within seconds, and its input's redelivery
        # needs it until then.
        ids = [r["id"] for r in outbox_rows(db, matcher, sent_only=True)]
        messages = erase_sent(
            db,
            outbox.c.id.in_(ids),
            sa.and_(
                sends.channel == account.channel, sends.account == account.account, sends.sent_at.is_not(None)
            ),
        )
        if held.web_messages and not held.open_cases:  # an open case's answer still comes to the box
            gone = db.execute(sa.delete(web_messages).where(web_messages.c.visitor == account.account))
            messages += gone.rowcount
        log.record(
            db, actor, Action.SUBJECT_ERASURE, account=account, client=client, reference=reference, at=now
        )
    left_open = [c["ticket"] or c["inquiry_id"] for c in held.open_cases]
    return ErasureReport(cases, left_open, messages, dead)
