"""The document a citizen waited for is issued: tell them, as the step 6 answer promised.

When the daily import (`bamsos dokumen impor`) records a registration number as issued that was not
issued before, every answered case about a document not yet issued (topic `belum_terbit`) whose
question named that number, received within `WAITING_DAYS`, gets an `issued` notice on its chat,
once per case. The notices are written to the outbox in the import's own transaction and published
after its commit (`publish_pending`); any the broker did not confirm go out with the next import.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shared.runtime import topology
from shared.runtime.retention import ERASED
from shared.runtime.storage import document_status, inquiries, notices, outbox
from shared.runtime.worker import Outgoing
from shared.runtime.worker.amqp import connect, message_properties
from shared.runtime.worker.ledger import write_outbox
from shared.sop.citizen import Templates
from shared.sop.contracts import Channel, CitizenNotice, NoticeKind, Topic
from shared.sop.documents import registration_numbers

WAITING_DAYS = 90  # a question older than this is not told any more: the citizen has moved on
SOURCE = "dokumen-impor:"  # the outbox source of the import's notices, with the import's id


@dataclass(frozen=True)
class Waiting:
    """An answered case whose question named a number now issued."""

    inquiry_id: str
    ticket: str | None
    channel: str
    account: str
    number: str
    document: str


def newly_issued(db: Connection, imported_at: datetime) -> dict[str, str]:
    """Number -> document of the numbers the import at `imported_at` made issued (the import moves
    `updated_at` only for a number whose state or document changed)."""
    d = document_status.c
    rows = db.execute(
        sa.select(d.number, d.document).where(d.status == "issued", d.updated_at == imported_at)
    )
    return {row.number: row.document for row in rows}


def waiting_cases(db: Connection, issued: dict[str, str], now: datetime) -> list[Waiting]:
    """The answered `belum_terbit` cases naming an issued number, not told yet, oldest first."""
    if not issued:
        return []
    c = inquiries.c
    told = sa.select(notices.c.notice_id).where(
        notices.c.inquiry_id == c.inquiry_id, notices.c.kind == NoticeKind.issued.value
    )
    rows = db.execute(
        sa.select(c.inquiry_id, c.ticket, c.channel, c.account, c.text)
        .where(
            c.topic == Topic.belum_terbit.value,
            c.replied_at.is_not(None),
            c.received_at >= now - timedelta(days=WAITING_DAYS),
            c.account != ERASED,
            ~told.exists(),
        )
        .order_by(c.received_at)
    )
    found = []
    for row in rows:
        number = next((n for n in registration_numbers(row.text) if n in issued), None)
        if number is not None:
            found.append(
                Waiting(row.inquiry_id, row.ticket, row.channel, row.account, number, issued[number])
            )
    return found


def write_issued_notices(db: Connection, templates: Templates, imported_at: datetime) -> int:
    """In the import's transaction: an `issued` notice for each case waiting for a number this
    import made issued, recorded in `notices` and in the outbox. How many."""
    outgoing: list[tuple[Outgoing, str]] = []
    source = f"{SOURCE}{uuid.uuid4().hex}"
    for case in waiting_cases(db, newly_issued(db, imported_at), imported_at):
        notice_id = uuid.uuid4().hex
        text = templates.render(
            NoticeKind.issued, ticket=case.ticket, number=case.number, document=case.document
        )
        db.execute(
            sa.insert(notices).values(
                notice_id=notice_id,
                inquiry_id=case.inquiry_id,
                kind=NoticeKind.issued.value,
                channel=case.channel,
                created_at=imported_at,
            )
        )
        message = CitizenNotice(
            notice_id=notice_id,
            inquiry_id=case.inquiry_id,
            ticket=case.ticket,
            kind=NoticeKind.issued,
            channel=Channel(case.channel),
            account=case.account,
            text=text[:4000],
            created_at=imported_at,
        )
        route = f"notice.{case.channel}"
        outgoing.append((Outgoing(topology.OUTBOUND, route, message, f"notice-{notice_id}"), source))
    write_outbox(db, outgoing)
    return len(outgoing)


def publish_pending(engine: Engine, amqp_url: str) -> int:
    """Publish (confirmed, persistent) the imports' notices not sent yet, and mark them sent. How
    many. One that fails stays unsent for the next import; the gateway de-duplicates by message id."""
    o = outbox.c
    with engine.connect() as db:
        rows = db.execute(
            sa.select(o.id, o.exchange, o.routing_key, o.message_id, o.body)
            .where(o.source.startswith(SOURCE), o.sent_at.is_(None))
            .order_by(o.id)
        ).all()
    if not rows:
        return 0
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for row in rows:
            properties = message_properties(row.message_id, "bamsos.dokumen")
            channel.basic_publish(row.exchange, row.routing_key, bytes(row.body), properties, mandatory=True)
    finally:
        connection.close()
    with engine.begin() as db:
        db.execute(sa.update(outbox).where(o.id.in_([r.id for r in rows])).values(sent_at=sa.func.now()))
    return len(rows)
