"""Telegram Bot API: an `Update` as documented becomes the citizen's message (or nothing); a reply
becomes `sendMessage`; its answers say accepted, retry (with `retry_after`), or refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.gateway import telegram
from services.gateway.events import Incoming
from shared.devtools import fake_platforms
from shared.sop.contracts import Channel, MediaKind

CHAT = 123456789
DATE = 1764486000
AT = datetime.fromtimestamp(DATE, UTC)


def update(**content: Any) -> dict[str, Any]:
    """A private chat's message carrying `content` (text, photo, document...)."""
    message = {
        "message_id": 42,
        "from": {
            "id": CHAT,
            "is_bot": False,
            "first_name": "Siti",
            "last_name": "Lestari",
            "language_code": "id",
        },
        "chat": {"id": CHAT, "first_name": "Siti", "last_name": "Lestari", "type": "private"},
        "date": DATE,
        **content,
    }
    return {"update_id": 900001, "message": message}


def only_message(body: dict[str, Any]) -> Incoming:
    [event] = telegram.parse(body)
    assert isinstance(event, Incoming)
    return event


def photo_sizes() -> list[dict[str, Any]]:
    return [
        {"file_id": "small", "file_unique_id": "s", "file_size": 1200, "width": 90, "height": 67},
        {"file_id": "medium", "file_unique_id": "m", "file_size": 15000, "width": 320, "height": 240},
        {"file_id": "large", "file_unique_id": "l", "file_size": 90000, "width": 1280, "height": 960},
    ]


def test_a_text_message_is_an_inquiry_named_by_chat_and_message_from_the_chat() -> None:
    event = only_message(update(text=" Min, KTP saya hilang "))
    assert event == Incoming(
        channel=Channel.telegram,
        id=f"{CHAT}:42",
        account=str(CHAT),
        name="Siti Lestari",
        sent_at=AT,
        text="Min, KTP saya hilang",
    )


def test_a_sender_with_only_a_first_name_is_named_by_it() -> None:
    body = update(text="halo")
    del body["message"]["from"]["last_name"]
    assert only_message(body).name == "Siti"


def test_a_photo_with_a_caption_is_the_caption_with_the_largest_size() -> None:
    event = only_message(update(photo=photo_sizes(), caption="foto KK saya"))
    assert (event.text, event.media_kind, event.media_id) == ("foto KK saya", MediaKind.image, "large")


def test_a_photo_without_a_caption_is_a_placeholder_with_the_file_id() -> None:
    event = only_message(update(photo=photo_sizes()))
    assert (event.text, event.media_kind, event.media_id) == (
        "[gambar tanpa keterangan]",
        MediaKind.image,
        "large",
    )


def test_a_document_without_a_caption_names_its_file() -> None:
    document = {
        "file_name": "akta.pdf",
        "mime_type": "application/pdf",
        "file_id": "doc-1",
        "file_unique_id": "d",
    }
    event = only_message(update(document=document))
    assert (event.text, event.media_kind, event.media_id) == (
        "[dokumen tanpa keterangan: akta.pdf]",
        MediaKind.document,
        "doc-1",
    )


def test_a_voice_note_is_a_voice_placeholder_with_the_file_id() -> None:
    voice = {
        "duration": 4,
        "mime_type": "audio/ogg",
        "file_id": "voice-1",
        "file_unique_id": "v",
        "file_size": 9,
    }
    event = only_message(update(voice=voice))
    assert (event.text, event.media_kind, event.media_id) == ("[pesan suara]", MediaKind.audio, "voice-1")


def test_a_sticker_is_a_sticker_placeholder_with_the_file_id() -> None:
    sticker = {
        "width": 512,
        "height": 512,
        "emoji": "🙏",
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "file_id": "sticker-1",
        "file_unique_id": "st",
    }
    event = only_message(update(sticker=sticker))
    assert (event.text, event.media_kind, event.media_id) == ("[stiker]", MediaKind.sticker, "sticker-1")


def test_a_location_is_a_location_placeholder() -> None:
    event = only_message(update(location={"latitude": 0.5071, "longitude": 101.4478}))
    assert (event.text, event.media_kind, event.media_id) == ("[lokasi]", MediaKind.location, None)


@pytest.mark.parametrize(
    "body",
    [
        {"update_id": 900002, "edited_message": update(text="ralat")["message"]},
        {"update_id": 900003, "callback_query": {"id": "1", "from": {"id": CHAT, "is_bot": False}}},
        {"update_id": 900004, "my_chat_member": {"chat": {"id": CHAT, "type": "private"}}},
    ],
    ids=["edited message", "callback query", "chat member"],
)
def test_an_update_without_a_message_gives_nothing(body: dict[str, Any]) -> None:
    assert telegram.parse(body) == []


def test_the_fake_platforms_text_update_is_read_as_a_documented_one() -> None:
    event = only_message(fake_platforms.telegram_text(7, CHAT, 42, "Siti", "halo"))
    assert (event.id, event.account, event.name, event.text) == (f"{CHAT}:42", str(CHAT), "Siti", "halo")


MALFORMED: dict[str, Any] = {
    "a list": [update(text="x")],
    "no update id": {"message": update(text="x")["message"]},
    "message without a chat": {"update_id": 1, "message": {"message_id": 1, "date": DATE, "text": "x"}},
    "date not a number": update(text="x", date="kemarin"),
    "date past the calendar": update(text="x", date=10**20),
    "photo not a list": update(photo={"file_id": "x"}),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_body_that_is_not_an_update_is_refused_with_a_value_error(body: Any) -> None:
    with pytest.raises(ValueError):
        telegram.parse(body)


# --- sending --------------------------------------------------------------------------------------


def test_a_text_is_sent_with_sendmessage_to_the_chat_and_the_token_in_the_path() -> None:
    request = telegram.text_request("https://api.telegram.org", "123:ABC", str(CHAT), "Syaratnya KK.")
    assert request.url == "https://api.telegram.org/bot123:ABC/sendMessage"
    assert request.body == {"chat_id": str(CHAT), "text": "Syaratnya KK."}
    assert request.headers == {}


def test_an_accepted_send_is_named_by_chat_and_message_id() -> None:
    result = {
        "message_id": 77,
        "chat": {"id": CHAT, "type": "private"},
        "date": DATE,
        "text": "Syaratnya KK.",
    }
    answer = telegram.read_answer(200, {"ok": True, "result": result})
    assert answer.accepted and answer.message_id == f"{CHAT}:77"


def test_too_many_requests_is_retried_after_the_seconds_telegram_asks() -> None:
    body = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    answer = telegram.read_answer(429, body)
    assert answer.retry and not answer.accepted
    assert answer.retry_after == 7.0


@pytest.mark.parametrize(("status", "body"), [(500, None), (502, {"ok": False, "error_code": 502})])
def test_server_trouble_is_retried(status: int, body: Any) -> None:
    answer = telegram.read_answer(status, body)
    assert answer.retry and not answer.accepted and answer.retry_after is None


@pytest.mark.parametrize(
    ("status", "description"),
    [(400, "Bad Request: chat not found"), (403, "Forbidden: bot was blocked by the user")],
)
def test_a_bad_or_blocked_chat_is_refused_for_good(status: int, description: str) -> None:
    answer = telegram.read_answer(status, {"ok": False, "error_code": status, "description": description})
    assert not answer.accepted and not answer.retry
    assert answer.refusal == f"http {status} code {status}"
