"""A data subject's rights (UU 27/2022 arts. 5-13, 43-44): everything held about one account, and
its erasure on request.

"Everything" is every place the README's inventory lists: the account's cases (`inquiries`: name,
text, reply, media id, rating), their notices and control-card rows, the messages the services
published about them (`outbox`), what the gateway sent to the account (`gateway_sends` and its
platform message ids), the website chat box's conversation (`web_messages`, for a `web`
account), and the dead letters whose body still holds the account or one of its
cases. Erasure is retention's (shared/runtime/retention.py), applied to one account now: a case
still open keeps its data (its answer needs it) and is named; counts, steps and times stay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.privacy.access_log import Account
from shared.runtime.deadletters import bodies_matching
from shared.runtime.storage import (
    gateway_messages,
    gateway_sends,
    handovers,
    inquiries,
    notices,
    outbox,
    web_messages,
)
from shared.sop.contracts import Channel

CHANNELS = tuple(c.value for c in Channel)
MIN_RAW_MATCH = 4  # a body that is not JSON is the account's if it holds the account this long or more


@dataclass
class Holdings:
    """What BAMSOS holds about one account, place by place, as plain JSON-ready values."""

    account: Account
    cases: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    gateway_sends: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    web_messages: list[dict[str, Any]] = field(default_factory=list)  # the website box's conversation

    @property
    def found(self) -> bool:
        return bool(self.cases or self.outbox or self.gateway_sends or self.dead_letters or self.web_messages)

    @property
    def case_ids(self) -> set[str]:
        return {c["inquiry_id"] for c in self.cases}

    @property
    def open_cases(self) -> list[dict[str, Any]]:
        return [c for c in self.cases if c["replied_at"] is None]

    def as_json(self) -> str:
        data = {
            "kanal": self.account.channel,
            "akun": self.account.account,
            "pertanyaan": self.cases,
            "pesan_keluar": self.outbox,
            "kiriman_gateway": self.gateway_sends,
            "dead_letter": self.dead_letters,
            "percakapan_situs_web": self.web_messages,
        }
        return json.dumps(data, ensure_ascii=False, indent=2, default=_plain) + "\n"


def _plain(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class Matcher:
    """Tells whether a message body (outbox, dead letter) is about the account or its cases."""

    def __init__(self, account: Account, case_ids: set[str]) -> None:
        self.account, self.case_ids = account, case_ids

    def needles(self) -> list[bytes]:
        """Byte strings one of which a matching JSON body holds (for a first cut in SQL)."""
        texts = [self.account.account, *sorted(self.case_ids)]
        return [json.dumps(t, ensure_ascii=False)[1:-1].encode() for t in texts]

    def __call__(self, body: bytes) -> bool:
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raw = self.account.account.encode()
            return len(raw) >= MIN_RAW_MATCH and raw in body
        if not isinstance(data, dict):
            return False
        if data.get("inquiry_id") in self.case_ids:
            return True
        channel = data.get("channel")
        # A letter refused for its channel still names the person by the account.
        same_channel = channel == self.account.channel or channel not in CHANNELS
        return data.get("account") == self.account.account and same_channel


def find(db: Connection, amqp_url: str, account: Account) -> Holdings:
    """Everything held about `account`, read from the database and the dead-letter queue."""
    held = Holdings(account)
    i = inquiries.c
    rows = db.execute(
        sa.select(inquiries)
        .where(i.channel == account.channel, i.account == account.account)
        .order_by(i.received_at, i.inquiry_id)
    ).mappings()
    held.cases = [dict(r) for r in rows]
    for case in held.cases:
        case["pemberitahuan"] = _rows(
            db, sa.select(notices).where(notices.c.inquiry_id == case["inquiry_id"]).order_by("created_at")
        )
        case["kartu_kendali"] = _rows(
            db, sa.select(handovers).where(handovers.c.inquiry_id == case["inquiry_id"]).order_by("id")
        )
    matcher = Matcher(account, held.case_ids)
    held.outbox = [
        {**row, "body": json.loads(row.pop("body"))} for row in outbox_rows(db, matcher, sent_only=False)
    ]
    sends = gateway_sends.c
    held.gateway_sends = _rows(
        db,
        sa.select(gateway_sends)
        .where(sends.channel == account.channel, sends.account == account.account)
        .order_by(sends.sent_at),
    )
    for send in held.gateway_sends:
        send["pesan_platform"] = _rows(
            db, sa.select(gateway_messages).where(gateway_messages.c.reply_id == send["reply_id"])
        )
    held.dead_letters = [
        {
            "alasan": letter.reason,
            "antrean": letter.queue,
            "waktu": letter.dead_at,
            "message_id": letter.message_id,
            "isi": body.decode(errors="replace"),
        }
        for letter, body in bodies_matching(amqp_url, matcher)
    ]
    if account.channel == "web":
        m = web_messages.c
        held.web_messages = _rows(
            db, sa.select(web_messages).where(m.visitor == account.account).order_by(m.id)
        )
    return held


def outbox_rows(db: Connection, matcher: Matcher, *, sent_only: bool) -> list[dict[str, Any]]:
    """The outbox rows about the account: narrowed in SQL by the bytes they must hold, then
    decoded and checked one by one."""
    holds = sa.text(
        "EXISTS (SELECT 1 FROM unnest(CAST(:needles AS bytea[])) AS n WHERE position(n IN outbox.body) > 0)"
    ).bindparams(needles=matcher.needles())
    stmt = sa.select(outbox).where(holds).order_by(outbox.c.id)
    if sent_only:
        stmt = stmt.where(outbox.c.sent_at.is_not(None))
    rows = [{**r, "body": bytes(r["body"])} for r in db.execute(stmt).mappings()]
    return [r for r in rows if matcher(r["body"])]


def _rows(db: Connection, stmt: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in db.execute(stmt).mappings()]
