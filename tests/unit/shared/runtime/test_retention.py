"""Retention: old closed cases lose their personal data, keep their counts; open and recent cases
are untouched; running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shared.runtime.retention import ERASED, Erased, erase_personal_data
from shared.runtime.storage import gateway_messages, gateway_sends, handovers, inquiries, make_engine, outbox

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def case(inquiry_id: str, received_days_ago: int, replied: bool) -> dict[str, object]:
    at = NOW - timedelta(days=received_days_ago)
    return {
        "inquiry_id": inquiry_id,
        "channel": "whatsapp",
        "upstream_id": f"wa-{inquiry_id}",
        "account": "+6281234567890",
        "name": "Dewi Anggraini",
        "text": "NIK 3271046504870002, akta saya salah nama",
        "service": "akta_kelahiran",
        "topic": "kesalahan_data",
        "sent_at": at,
        "received_at": at,
        "reply_text": "Silakan datang ke loket 3" if replied else None,
        "replied_at": at + timedelta(minutes=12) if replied else None,
        "path": "5" if replied else None,
        "media_kind": "photo",
        "media_id": "AgACAgUAAxkBAAIBk2ZbX",  # Telegram's file_id of the citizen's photo
    }


def test_old_answered_cases_lose_personal_data_and_keep_their_control_card(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as db:
        db.execute(
            sa.insert(inquiries),
            [case("old", 400, True), case("recent", 10, True), case("old-open", 400, False)],
        )
        db.execute(
            sa.insert(handovers),
            {
                "inquiry_id": "old",
                "step": 5,
                "from_role": "admin",
                "to_role": "editor",
                "handed_at": NOW - timedelta(days=400),
                "done_at": NOW - timedelta(days=400) + timedelta(minutes=9),
                "due_at": NOW - timedelta(days=400) + timedelta(minutes=5),
                "standard_seconds": 300,
                "duration_seconds": 540.0,
                "breached": True,
                "officer": "RN",
            },
        )
        db.execute(
            sa.insert(outbox),
            [
                {
                    "exchange": "bamsos.outbound",
                    "routing_key": "reply.whatsapp",
                    "message_id": "r-old",
                    "body": b"{...+6281234567890...}",
                    "sent_at": NOW - timedelta(days=400),
                },
                {
                    "exchange": "bamsos.outbound",
                    "routing_key": "reply.whatsapp",
                    "message_id": "r-new",
                    "body": b"{...}",
                    "sent_at": NOW - timedelta(days=10),
                },
            ],
        )

    erased = erase_personal_data(engine, older_than_days=365, now=NOW)

    assert (erased.cases, erased.messages) == (1, 1)
    with engine.connect() as db:
        rows = {r.inquiry_id: r for r in db.execute(sa.select(inquiries))}
        card = db.execute(sa.select(handovers)).one()
        left = set(db.scalars(sa.select(outbox.c.message_id)))
    old = rows["old"]
    assert (old.account, old.name, old.text, old.reply_text) == (ERASED, None, ERASED, ERASED)
    assert (old.media_id, old.media_kind) == (None, "photo"), "what was sent stays a count"
    assert (old.channel, old.topic, old.path, old.replied_at) == (
        "whatsapp",
        "kesalahan_data",
        "5",
        NOW - timedelta(days=400) + timedelta(minutes=12),
    )
    assert (card.breached, card.duration_seconds, card.officer) == (True, 540.0, "RN")
    assert rows["recent"].account == "+6281234567890", "recent cases keep their data"
    assert rows["recent"].media_id is not None
    assert rows["old-open"].name == "Dewi Anggraini", "a case still open keeps what its answer needs"
    assert left == {"r-new"}
    assert erase_personal_data(engine, older_than_days=365, now=NOW) == Erased(0, 0)


def test_the_gateways_record_of_old_sends_goes_and_recent_ones_stay(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as db:
        for reply_id, days_ago in (("old", 400), ("recent", 3)):
            at = NOW - timedelta(days=days_ago)
            db.execute(
                sa.insert(gateway_sends).values(
                    reply_id=reply_id,
                    channel="whatsapp",
                    account="6281234567890",
                    state="delivered",
                    sent_at=at,
                )
            )
            db.execute(
                sa.insert(gateway_messages).values(
                    platform_message_id=f"wamid.{reply_id}", reply_id=reply_id, part=0, sent_at=at
                )
            )
    erase_personal_data(engine, older_than_days=365, now=NOW)
    with engine.connect() as db:
        assert list(db.scalars(sa.select(gateway_sends.c.reply_id))) == ["recent"]
        assert list(db.scalars(sa.select(gateway_messages.c.reply_id))) == ["recent"]
