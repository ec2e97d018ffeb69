"""What reaches the webhooks and is no citizen's question, through the real webhooks, broker and
database: a reaction added or taken off (WhatsApp, Messenger, Instagram, Telegram) publishes nothing
and is counted; a Telegram group message publishes no inquiry, and one that addresses the bot gets
the one fixed answer in the group, sent once however often Telegram delivers the update."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from shared.devtools import fake_platforms
from shared.devtools.fake_platforms import FakePlatforms
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.sop.citizen import load_templates
from shared.sop.contracts import CitizenNotice, NoticeKind
from tests.helpers import drain, wait_for
from tests.integration.services.gateway.platforms_on import with_platforms
from tests.integration.services.gateway.test_sender import sending
from tests.integration.services.gateway.test_webhooks import (
    CITIZEN,
    PSID,
    Running,
    nothing_published,
    serving,
)

pytestmark = pytest.mark.integration

GROUP_ANSWER = load_templates().render(NoticeKind.private_only)
BOT_ID = 123456  # the number platforms_on.TG_BOT starts with
GROUP = -1001234567890


@pytest.fixture
def gateway(settings: Settings, engine: Engine) -> Iterator[Running]:
    with serving(with_platforms(settings, telegram_bot_username="DukcapilBot"), engine) as running:
        yield running


# --- reactions ------------------------------------------------------------------------------------


def test_a_whatsapp_reaction_added_or_taken_off_publishes_nothing_and_is_counted(
    gateway: Running, settings: Settings
) -> None:
    for wamid, emoji in (("wamid.R1", "\U0001f44d"), ("wamid.R2", None)):
        body = fake_platforms.whatsapp_reaction(wamid, CITIZEN, "wamid.OUR-ANSWER", emoji)
        assert gateway.signed("whatsapp", body).status_code == 200
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("whatsapp", "reaction") == 2
    assert gateway.webhooks("whatsapp", "accepted") == 0


def test_messenger_and_instagram_reactions_publish_nothing_and_are_counted(
    gateway: Running, settings: Settings
) -> None:
    for object_, action in (("page", "react"), ("page", "unreact"), ("instagram", "react")):
        item = fake_platforms.meta_reaction(PSID, "m_our-answer", action)
        assert gateway.signed("meta", fake_platforms.meta_webhook(object_, [item])).status_code == 200
    assert nothing_published(settings.amqp_url)
    assert (gateway.webhooks("facebook", "reaction"), gateway.webhooks("instagram", "reaction")) == (2, 1)


def test_a_telegram_reaction_update_publishes_nothing_and_is_counted(
    gateway: Running, settings: Settings
) -> None:
    for update_id, emoji in ((10, "\U0001f44d"), (11, None)):
        assert (
            gateway.telegram(fake_platforms.telegram_reaction(update_id, 4242, 7, emoji)).status_code == 200
        )
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("telegram", "reaction") == 2


def test_a_messenger_thumbs_up_sticker_is_an_inquiry_marked_as_a_sticker(
    gateway: Running, settings: Settings
) -> None:
    # Messenger's thumbs-up button sends an image attachment carrying a sticker id; intake tells
    # whether it thanks an answer.
    item = fake_platforms.meta_text("m_like", PSID, "x")
    item["message"] = {
        "mid": "m_like",
        "sticker_id": 369239263222822,
        "attachments": [
            {
                "type": "image",
                "payload": {"url": "https://scontent.example/like.png", "sticker_id": 369239263222822},
            }
        ],
    }
    assert gateway.signed("meta", fake_platforms.meta_webhook("page", [item])).status_code == 200
    [got] = drain(settings.amqp_url, "bamsos.intake")
    assert (got.json()["media_kind"], got.json()["text"]) == ("sticker", "[stiker]")


# --- group chats ----------------------------------------------------------------------------------


def mention(text: str, name: str) -> list[dict[str, object]]:
    """The `mention` entity of `name` in `text`, its offset and length in UTF-16 code units."""
    start = text.index(name)
    return [
        {
            "type": "mention",
            "offset": len(text[:start].encode("utf-16-le")) // 2,
            "length": len(name.encode("utf-16-le")) // 2,
        }
    ]


def test_a_group_message_that_does_not_address_the_bot_publishes_nothing(
    gateway: Running, settings: Settings
) -> None:
    for n, chat_type in enumerate(("group", "supergroup", "channel")):
        text = "Syarat bikin KIA apa ya? NIK saya 1471000000000001"
        body = fake_platforms.telegram_group_text(20 + n, GROUP, 100 + n, text, chat_type=chat_type)
        assert gateway.telegram(body).status_code == 200
    other_bot = "🙏 @BotLain tolong"
    body = fake_platforms.telegram_group_text(
        30, GROUP, 130, other_bot, entities=mention(other_bot, "@BotLain")
    )
    assert gateway.telegram(body).status_code == 200
    assert nothing_published(settings.amqp_url)
    assert drain(settings.amqp_url, topology.REPLIES_QUEUE) == []
    assert gateway.webhooks("telegram", "group") == 4


def addressed_updates() -> list[dict[str, object]]:
    """A mention after an emoji (offsets in UTF-16), and a reply to one of the bot's messages."""
    text = "🙏 @dukcapilbot syarat akta kelahiran?"
    replying = {
        "message_id": 90,
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Dukcapil", "username": "DukcapilBot"},
        "chat": {"id": GROUP, "type": "supergroup", "title": "Warga RT 05"},
        "date": 1764460800,
        "text": "Mohon maaf, ...",
    }
    return [
        fake_platforms.telegram_group_text(40, GROUP, 140, text, entities=mention(text, "@dukcapilbot")),
        fake_platforms.telegram_group_text(41, GROUP, 141, "kalau KK hilang?", reply_to=replying),
    ]


def test_a_group_message_addressed_to_the_bot_gets_the_fixed_answer_in_the_group_and_no_case(
    gateway: Running, settings: Settings
) -> None:
    for update in addressed_updates():
        assert gateway.telegram(update).status_code == 200
    assert nothing_published(settings.amqp_url)
    got = drain(settings.amqp_url, topology.REPLIES_QUEUE)
    notices = [CitizenNotice.model_validate_json(g.body) for g in got]
    assert [
        (g.routing_key, n.kind, n.account, n.text, n.inquiry_id) for g, n in zip(got, notices, strict=True)
    ] == [("notice.telegram", NoticeKind.private_only, str(GROUP), GROUP_ANSWER, None)] * 2
    assert gateway.webhooks("telegram", "group_addressed") == 2


def test_the_group_answer_is_sent_once_however_often_telegram_delivers_the_update(
    gateway: Running, settings: Settings, engine: Engine
) -> None:
    first, then = addressed_updates()
    for _ in range(3):  # Telegram delivers again until it gets a 200 it believes
        assert gateway.telegram(first).status_code == 200
    assert gateway.telegram(then).status_code == 200
    with FakePlatforms() as fake, sending(settings, engine, fake):
        # One consumer takes the queue in order: once the later message's answer is out, the
        # three deliveries of the first were handled.
        calls = wait_for(lambda: fake.sent("telegram")[1:] and fake.sent("telegram"), what="both answers")
    assert [(c.body["chat_id"], c.text) for c in calls] == [(str(GROUP), GROUP_ANSWER)] * 2
