"""A group chat that addresses the bot: one fixed answer, in the group, asking to write privately
(the notice template `private_only`, which names no one: the whole group reads it).

Nothing of a group opens a case: the answer would tell everyone there what one citizen asked. The
answer is a citizen notice (`private_only`) whose id is the group message's, so the platform's
retry of the same update sends nothing twice (the sender sends a notice id once).
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.gateway.events import GroupMessage
from services.gateway.publisher import Publisher
from shared.runtime import topology
from shared.runtime.worker import to_json
from shared.sop.contracts import CitizenNotice, NoticeKind


def answer(publisher: Publisher, message: GroupMessage, text: str) -> None:
    """Publish the one answer to a group message addressed to the bot (confirmed by the broker)."""
    notice = CitizenNotice(
        notice_id=f"group-{message.channel.value}-{message.id}",
        inquiry_id=None,
        ticket=None,
        kind=NoticeKind.private_only,
        channel=message.channel,
        account=message.chat,
        text=text,
        created_at=datetime.now(UTC),
    )
    key = f"notice.{message.channel.value}"
    publisher.publish(topology.OUTBOUND, key, to_json(notice), notice.notice_id)
