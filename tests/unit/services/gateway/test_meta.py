"""Messenger and Instagram webhooks as Meta documents them become events (or nothing: echoes,
standby); a reply becomes a Send API request; its answers say accepted, retry, or refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.gateway import meta
from services.gateway.events import Incoming, Status
from shared.devtools import fake_platforms
from shared.sop.contracts import Channel, MediaKind

PSID = "6543210987654321"
PAGE = "112233445566778"
MS = 1764486000123
AT = datetime.fromtimestamp(MS / 1000, UTC)


def webhook(object_: str, *messaging: dict[str, Any]) -> dict[str, Any]:
    return {"object": object_, "entry": [{"id": PAGE, "time": MS, "messaging": list(messaging)}]}


def from_citizen(message: dict[str, Any]) -> dict[str, Any]:
    return {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": MS, "message": message}


def only_message(body: dict[str, Any]) -> Incoming:
    [event] = meta.parse(body)
    assert isinstance(event, Incoming)
    return event


def test_a_messenger_text_is_a_facebook_inquiry_from_the_page_scoped_id() -> None:
    event = only_message(webhook("page", from_citizen({"mid": "m_1", "text": " Min, akta saya salah "})))
    assert event == Incoming(
        channel=Channel.facebook, id="m_1", account=PSID, name=None, sent_at=AT, text="Min, akta saya salah"
    )


def test_an_instagram_text_is_an_instagram_inquiry() -> None:
    event = only_message(webhook("instagram", from_citizen({"mid": "aWdfZA", "text": "KIA bisa online?"})))
    assert (event.channel, event.id, event.account, event.text) == (
        Channel.instagram,
        "aWdfZA",
        PSID,
        "KIA bisa online?",
    )


@pytest.mark.parametrize(
    ("type_", "kind", "text"),
    [
        ("image", MediaKind.image, "[gambar tanpa keterangan]"),
        ("video", MediaKind.video, "[video tanpa keterangan]"),
        ("audio", MediaKind.audio, "[pesan suara]"),
        ("file", MediaKind.document, "[dokumen tanpa keterangan]"),
        ("fallback", MediaKind.other, "[pesan jenis lain]"),
    ],
)
def test_an_attachment_is_a_placeholder_with_its_url(type_: str, kind: MediaKind, text: str) -> None:
    url = "https://scontent.xx.fbcdn.net/v/t1.15752-9/a.jpg?_nc_cat=1"
    attachment = {"type": type_, "payload": {"url": url}}
    event = only_message(webhook("page", from_citizen({"mid": "m_2", "attachments": [attachment]})))
    assert (event.text, event.media_kind, event.media_id) == (text, kind, url)


def test_a_shared_location_is_a_location_placeholder() -> None:
    attachment = {"type": "location", "payload": {"coordinates": {"lat": 0.5071, "long": 101.4478}}}
    event = only_message(webhook("page", from_citizen({"mid": "m_3", "attachments": [attachment]})))
    assert (event.text, event.media_kind, event.media_id) == ("[lokasi]", MediaKind.location, None)


def test_an_echo_of_our_own_message_is_ignored() -> None:
    echo = {
        "sender": {"id": PAGE},
        "recipient": {"id": PSID},
        "timestamp": MS,
        "message": {"is_echo": True, "app_id": 1517776481860111, "mid": "m_ours", "text": "Syaratnya KK."},
    }
    assert meta.parse(webhook("page", echo)) == []


def test_standby_entries_of_another_app_are_ignored() -> None:
    body = {
        "object": "page",
        "entry": [{"id": PAGE, "time": MS, "standby": [from_citizen({"mid": "m_4", "text": "halo"})]}],
    }
    assert meta.parse(body) == []


def test_a_delivery_names_each_delivered_message() -> None:
    delivery = {
        "sender": {"id": PSID},
        "recipient": {"id": PAGE},
        "timestamp": MS,
        "delivery": {"mids": ["m_a", "m_b"], "watermark": MS},
    }
    assert meta.parse(webhook("page", delivery)) == [
        Status(Channel.facebook, "delivered", AT, message_id="m_a"),
        Status(Channel.facebook, "delivered", AT, message_id="m_b"),
    ]


def test_a_delivery_as_documented_without_a_timestamp_still_names_the_delivered_messages() -> None:
    # Meta's message_deliveries example carries no `timestamp`: the event is no less a delivery.
    delivery = {
        "sender": {"id": PSID},
        "recipient": {"id": PAGE},
        "delivery": {"mids": ["m_a"], "watermark": MS},
    }
    [event] = meta.parse(webhook("page", delivery))
    assert isinstance(event, Status)
    assert (event.channel, event.state, event.message_id) == (Channel.facebook, "delivered", "m_a")


def test_a_delivery_without_mids_covers_every_message_to_the_citizen_until_its_watermark() -> None:
    # "mids may not be present ... watermark is always present" (Meta's reference).
    delivery = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "delivery": {"watermark": MS}}
    [event] = meta.parse(webhook("page", delivery))
    assert isinstance(event, Status)
    assert (event.state, event.message_id, event.account, event.until) == ("delivered", None, PSID, AT)


def test_a_messenger_read_covers_every_message_to_the_citizen_until_its_watermark() -> None:
    read = {
        "sender": {"id": PSID},
        "recipient": {"id": PAGE},
        "timestamp": MS + 5000,
        "read": {"watermark": MS},
    }
    assert meta.parse(webhook("page", read)) == [
        Status(
            Channel.facebook, "read", datetime.fromtimestamp((MS + 5000) / 1000, UTC), account=PSID, until=AT
        )
    ]


def test_an_instagram_read_names_the_message_seen() -> None:
    read = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": MS, "read": {"mid": "aWdfb3V0"}}
    assert meta.parse(webhook("instagram", read)) == [
        Status(Channel.instagram, "read", AT, message_id="aWdfb3V0")
    ]


def test_the_fake_platforms_messenger_text_is_read_as_a_documented_one() -> None:
    body = fake_platforms.meta_webhook("page", [fake_platforms.meta_text("m_5", PSID, "halo")])
    event = only_message(body)
    assert (event.channel, event.id, event.account, event.text) == (Channel.facebook, "m_5", PSID, "halo")


@pytest.mark.parametrize("object_", ["user", "whatsapp_business_account", "permissions", ""])
def test_an_object_other_than_a_page_or_an_instagram_account_is_refused(object_: str) -> None:
    with pytest.raises(ValueError, match="neither page nor instagram"):
        meta.parse(webhook(object_, from_citizen({"mid": "m_6", "text": "halo"})))


MALFORMED: dict[str, Any] = {
    "a list": [],
    "no entry": {"object": "page"},
    "no sender": webhook("page", {"timestamp": MS, "message": {"mid": "m", "text": "x"}}),
    "message without mid": webhook("page", from_citizen({"text": "x"})),
    "timestamp not a number": webhook(
        "page", {**from_citizen({"mid": "m", "text": "x"}), "timestamp": "kemarin"}
    ),
    "timestamp past the calendar": webhook(
        "page", {**from_citizen({"mid": "m", "text": "x"}), "timestamp": 10**30}
    ),
    "timestamp too large for a float": webhook(
        "page", {**from_citizen({"mid": "m", "text": "x"}), "timestamp": 10**400}
    ),
    "mids not a list": webhook("page", {"sender": {"id": PSID}, "timestamp": MS, "delivery": {"mids": "m"}}),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_body_that_is_not_a_webhook_is_refused_with_a_value_error(body: Any) -> None:
    with pytest.raises(ValueError):
        meta.parse(body)


# --- sending --------------------------------------------------------------------------------------


def test_a_text_is_sent_as_a_response_to_the_recipient_with_the_page_token() -> None:
    request = meta.text_request("https://graph.facebook.com/v21.0", "EAAP-token", PSID, "Syaratnya KK.")
    assert request.url == "https://graph.facebook.com/v21.0/me/messages"
    assert request.headers == {"Authorization": "Bearer EAAP-token"}
    assert request.body == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Syaratnya KK."},
    }


def error(code: int, subcode: int | None = None, message: str = "x") -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode is not None:
        body["error_subcode"] = subcode
    return {"error": body}


def test_an_accepted_send_gives_the_message_id() -> None:
    answer = meta.read_answer(200, {"recipient_id": PSID, "message_id": "m_out"})
    assert answer.accepted and answer.message_id == "m_out"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, error(4)),
        (400, error(613, message="Calls to this api have exceeded the rate limit.")),
        (500, None),
    ],
)
def test_throttling_and_platform_trouble_are_retried(status: int, body: Any) -> None:
    answer = meta.read_answer(status, body)
    assert answer.retry and not answer.accepted and answer.refusal is None


def test_outside_the_messaging_window_the_send_is_refused_as_window_closed() -> None:
    body = error(10, 2018278, "(#10) This message is sent outside of allowed window.")
    answer = meta.read_answer(400, body)
    assert not answer.accepted and not answer.retry and answer.window_closed
    assert answer.refusal == "http 400 code 10/2018278"


def test_a_bad_recipient_is_refused_for_good_not_as_a_closed_window() -> None:
    answer = meta.read_answer(400, error(100, 2018001, "(#100) No matching user found"))
    assert not answer.accepted and not answer.retry and not answer.window_closed
    assert answer.refusal == "http 400 code 100/2018001"
