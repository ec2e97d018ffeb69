"""The gateway's reads and writes in PostgreSQL: what it sent (`gateway_sends`, one row per reply,
`gateway_messages`, one per platform message) and the little it reads of the pipeline's tables
(its note on the control card is written by shared/sop/controlcard.py, the card's owner)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.gateway.events import Status
from shared.runtime.storage import gateway_messages, gateway_sends, inquiries


def already_registered(db: Connection, channel: str, upstream_id: str) -> bool:
    """A platform's retry of a message the pipeline registered already."""
    query = sa.select(sa.literal(1)).where(
        inquiries.c.channel == channel, inquiries.c.upstream_id == upstream_id
    )
    return db.scalar(query) is not None


def last_message_at(db: Connection, channel: str, account: str) -> datetime | None:
    """When the citizen last wrote on this channel: the customer-service window runs from it."""
    query = sa.select(sa.func.max(inquiries.c.sent_at)).where(
        inquiries.c.channel == channel, inquiries.c.account == account
    )
    last: datetime | None = db.scalar(query)
    return last


def state_of(db: Connection, reply_id: str) -> str | None:
    return db.scalar(sa.select(gateway_sends.c.state).where(gateway_sends.c.reply_id == reply_id))


def parts_sent(db: Connection, reply_id: str) -> dict[int, str]:
    """The parts of a long reply the platform already has, by number."""
    rows = db.execute(
        sa.select(gateway_messages.c.part, gateway_messages.c.platform_message_id).where(
            gateway_messages.c.reply_id == reply_id
        )
    )
    return {row.part: row.platform_message_id for row in rows}


def record_part(db: Connection, reply_id: str, part: int, platform_message_id: str, at: datetime) -> None:
    db.execute(
        insert(gateway_messages)
        .values(platform_message_id=platform_message_id, reply_id=reply_id, part=part, sent_at=at)
        .on_conflict_do_nothing()
    )


def record_sent(
    db: Connection,
    reply_id: str,
    channel: str,
    account: str,
    at: datetime,
    *,
    via_template: bool,
    is_reply: bool = True,
) -> None:
    db.execute(
        insert(gateway_sends)
        .values(
            reply_id=reply_id,
            channel=channel,
            account=account,
            state="sent",
            via_template=via_template,
            sent_at=at,
            kind="reply" if is_reply else "notice",
        )
        .on_conflict_do_nothing()
    )


def replies_of(db: Connection, status: Status) -> list[tuple[str, str]]:
    """The (reply id, state) of what a status names: one message, or every message to an account
    sent until a read watermark. Notices are not replies: their statuses close no step."""
    if status.message_id is not None:
        query = (
            sa.select(gateway_sends.c.reply_id, gateway_sends.c.state)
            .join(gateway_messages, gateway_messages.c.reply_id == gateway_sends.c.reply_id)
            .where(
                gateway_messages.c.platform_message_id == status.message_id, gateway_sends.c.kind == "reply"
            )
        )
    elif status.account is not None and status.until is not None:
        query = sa.select(gateway_sends.c.reply_id, gateway_sends.c.state).where(
            gateway_sends.c.channel == status.channel.value,
            gateway_sends.c.account == status.account,
            gateway_sends.c.sent_at <= status.until,
            gateway_sends.c.kind == "reply",
        )
    else:
        return []
    return [(row.reply_id, row.state) for row in db.execute(query)]


def mark(db: Connection, reply_id: str, state: str, at: datetime | None = None) -> None:
    """Move a send forward (sent -> delivered; sent -> failed); a state never moves back."""
    earlier = {"delivered": ("sent", "failed"), "failed": ("sent",)}[state]
    values: dict[str, object] = {"state": state}
    if state == "delivered":
        values["delivered_at"] = at
    db.execute(
        sa.update(gateway_sends)
        .where(gateway_sends.c.reply_id == reply_id, gateway_sends.c.state.in_(earlier))
        .values(values)
    )
