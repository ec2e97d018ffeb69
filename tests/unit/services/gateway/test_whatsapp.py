"""WhatsApp Cloud API: the webhook bodies Meta documents become events; replies become the documented
send requests; the send API's answers say accepted, retry, or refused (and why)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.gateway import whatsapp
from services.gateway.events import Incoming, Status
from shared.devtools import fake_platforms
from shared.sop.contracts import Channel, MediaKind

CITIZEN = "6281234567890"
SENT = 1764486000  # 2025-11-30T07:00:00Z
AT = datetime.fromtimestamp(SENT, UTC)


def webhook(value: dict[str, Any]) -> dict[str, Any]:
    """`entry[].changes[].value` as the Cloud API posts it (field `messages`)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": "106540352242922",
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def from_citizen(type_: str, **content: Any) -> dict[str, Any]:
    """A citizen's message of one type, with their profile name in `contacts`."""
    message = {"from": CITIZEN, "id": "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA", "timestamp": str(SENT)}
    return webhook(
        {
            "contacts": [{"profile": {"name": "Siti Lestari"}, "wa_id": CITIZEN}],
            "messages": [{**message, "type": type_, **content}],
        }
    )


def only_message(body: dict[str, Any]) -> Incoming:
    [event] = whatsapp.parse(body)
    assert isinstance(event, Incoming)
    return event


def status(state: str, **extra: Any) -> dict[str, Any]:
    entry = {"id": "wamid.OUT1", "status": state, "timestamp": str(SENT), "recipient_id": CITIZEN, **extra}
    return webhook({"statuses": [entry]})


# --- messages -------------------------------------------------------------------------------------


def test_a_text_message_is_an_inquiry_from_the_sender_with_their_profile_name_and_time() -> None:
    event = only_message(from_citizen("text", text={"body": "  Min, syarat bikin KIA apa aja?  "}))
    assert event == Incoming(
        channel=Channel.whatsapp,
        id="wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA",
        account=CITIZEN,
        name="Siti Lestari",
        sent_at=AT,
        text="Min, syarat bikin KIA apa aja?",
    )


def test_an_empty_text_is_kept_as_an_empty_message_not_dropped() -> None:
    assert only_message(from_citizen("text", text={"body": "   "})).text == "[pesan kosong]"


def test_a_sender_without_a_profile_has_no_name() -> None:
    body = from_citizen("text", text={"body": "halo"})
    body["entry"][0]["changes"][0]["value"]["contacts"] = []
    assert only_message(body).name is None


def test_an_image_with_a_caption_is_the_caption_with_the_media_id() -> None:
    image = {
        "caption": "KTP saya rusak",
        "mime_type": "image/jpeg",
        "sha256": "abc=",
        "id": "1479537139650973",
    }
    event = only_message(from_citizen("image", image=image))
    assert (event.text, event.media_kind, event.media_id) == (
        "KTP saya rusak",
        MediaKind.image,
        "1479537139650973",
    )


def test_an_image_without_a_caption_is_a_placeholder_with_the_media_id() -> None:
    image = {"mime_type": "image/jpeg", "sha256": "abc=", "id": "1479537139650973"}
    event = only_message(from_citizen("image", image=image))
    assert event.text == "[gambar tanpa keterangan]"
    assert (event.media_kind, event.media_id) == (MediaKind.image, "1479537139650973")


def test_a_document_without_a_caption_names_its_file() -> None:
    document = {"filename": "KK.pdf", "mime_type": "application/pdf", "sha256": "abc=", "id": "doc-1"}
    event = only_message(from_citizen("document", document=document))
    assert event.text == "[dokumen tanpa keterangan: KK.pdf]"
    assert (event.media_kind, event.media_id) == (MediaKind.document, "doc-1")


def test_a_document_with_a_caption_is_the_caption() -> None:
    document = {"caption": "ini KK saya", "filename": "KK.pdf", "mime_type": "application/pdf", "id": "doc-1"}
    assert only_message(from_citizen("document", document=document)).text == "ini KK saya"


def test_a_voice_note_is_a_voice_placeholder_with_the_media_id() -> None:
    # The Cloud API sends voice notes as `audio` with `voice: true`.
    audio = {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc=", "id": "voice-1", "voice": True}
    event = only_message(from_citizen("audio", audio=audio))
    assert (event.text, event.media_kind, event.media_id) == ("[pesan suara]", MediaKind.audio, "voice-1")


def test_a_voice_message_of_type_voice_is_a_voice_placeholder_too() -> None:
    event = only_message(from_citizen("voice", voice={"mime_type": "audio/ogg", "id": "voice-2"}))
    assert (event.text, event.media_kind, event.media_id) == ("[pesan suara]", MediaKind.audio, "voice-2")


def test_a_sticker_is_a_sticker_placeholder_with_the_media_id() -> None:
    sticker = {"mime_type": "image/webp", "sha256": "abc=", "id": "sticker-1", "animated": False}
    event = only_message(from_citizen("sticker", sticker=sticker))
    assert (event.text, event.media_kind, event.media_id) == ("[stiker]", MediaKind.sticker, "sticker-1")


def test_a_location_is_a_location_placeholder() -> None:
    location = {"latitude": 0.5071, "longitude": 101.4478, "name": "Dukcapil", "address": "Jl. Pekanbaru"}
    event = only_message(from_citizen("location", location=location))
    assert (event.text, event.media_kind, event.media_id) == ("[lokasi]", MediaKind.location, None)


def test_a_message_of_a_kind_we_do_not_know_is_kept_as_another_kind() -> None:
    unsupported = {"errors": [{"code": 131051, "title": "Message type unknown"}]}
    event = only_message(from_citizen("unsupported", **unsupported))
    assert (event.text, event.media_kind) == ("[pesan jenis lain]", MediaKind.other)


def test_every_message_of_every_entry_and_change_comes_out_in_order() -> None:
    first = from_citizen("text", text={"body": "satu"})
    second = from_citizen("text", text={"body": "dua"})
    second["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.2"
    body = {"object": "whatsapp_business_account", "entry": first["entry"] + second["entry"]}
    assert [e.text for e in whatsapp.parse(body) if isinstance(e, Incoming)] == ["satu", "dua"]


def test_the_fake_platforms_text_webhook_is_read_as_a_documented_one() -> None:
    body = fake_platforms.whatsapp_text("wamid.X", CITIZEN, "Siti", "halo", AT)
    assert only_message(body) == Incoming(Channel.whatsapp, "wamid.X", CITIZEN, "Siti", AT, "halo")


# --- statuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["sent", "delivered", "read"])
def test_a_status_names_our_message_its_state_and_when(state: str) -> None:
    pricing = {"billable": True, "pricing_model": "CBP", "category": "service"}
    assert whatsapp.parse(status(state, pricing=pricing)) == [
        Status(Channel.whatsapp, state, AT, message_id="wamid.OUT1")  # type: ignore[arg-type]
    ]


def test_a_failed_status_carries_the_platform_error_code() -> None:
    errors = [{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message"}]
    [event] = whatsapp.parse(status("failed", errors=errors))
    assert isinstance(event, Status)
    assert (event.state, event.message_id, event.error) == ("failed", "wamid.OUT1", "131047")


def test_a_status_outside_the_four_states_is_ignored() -> None:
    assert whatsapp.parse(status("deleted")) == []


def test_the_fake_platforms_status_webhooks_are_read_as_documented_ones() -> None:
    [failed] = whatsapp.parse(fake_platforms.whatsapp_status("wamid.OUT1", CITIZEN, "failed", AT))
    assert failed == Status(Channel.whatsapp, "failed", AT, message_id="wamid.OUT1", error="131026")


# --- malformed bodies -----------------------------------------------------------------------------

MALFORMED: dict[str, Any] = {
    "a list": [],
    "a string": "hello",
    "no entry": {"object": "whatsapp_business_account"},
    "entry not a list": {"object": "whatsapp_business_account", "entry": {"id": "1"}},
    "change without value": {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "x"}]}]},
    "message without id": webhook({"messages": [{"from": CITIZEN, "timestamp": "1", "type": "text"}]}),
    "timestamp not a number": webhook(
        {"messages": [{"from": CITIZEN, "id": "w", "timestamp": "kemarin", "type": "text"}]}
    ),
    "timestamp past the calendar": webhook(
        {"messages": [{"from": CITIZEN, "id": "w", "timestamp": "1e300", "type": "text"}]}
    ),
    "timestamp infinite": webhook({"statuses": [{"id": "w", "status": "read", "timestamp": "inf"}]}),
    "error code not a number": webhook(
        {"statuses": [{"id": "w", "status": "failed", "timestamp": "1", "errors": [{"code": "x"}]}]}
    ),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_body_that_is_not_a_webhook_is_refused_with_a_value_error(body: Any) -> None:
    # pydantic's ValidationError is a ValueError: the app answers both 400.
    with pytest.raises(ValueError):
        whatsapp.parse(body)


# --- sending --------------------------------------------------------------------------------------

API = "https://graph.facebook.com/v21.0"


def test_a_text_is_sent_as_documented_with_the_bearer_token() -> None:
    request = whatsapp.text_request(API, "106540352242922", "EAAG-token", CITIZEN, "Syaratnya KK.")
    assert request.url == "https://graph.facebook.com/v21.0/106540352242922/messages"
    assert request.headers == {"Authorization": "Bearer EAAG-token"}
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CITIZEN,
        "type": "text",
        "text": {"body": "Syaratnya KK."},
    }


def test_a_template_is_sent_by_name_and_language() -> None:
    request = whatsapp.template_request(API, "106540352242922", "EAAG-token", CITIZEN, "jawaban_siap", "id")
    assert request.url == "https://graph.facebook.com/v21.0/106540352242922/messages"
    assert request.headers == {"Authorization": "Bearer EAAG-token"}
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CITIZEN,
        "type": "template",
        "template": {"name": "jawaban_siap", "language": {"code": "id"}},
    }


def error(code: int, message: str = "x") -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}}


def test_an_accepted_send_gives_the_wamid() -> None:
    body = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": CITIZEN, "wa_id": CITIZEN}],
        "messages": [{"id": "wamid.OUT1"}],
    }
    assert whatsapp.read_answer(200, body).accepted
    assert whatsapp.read_answer(200, body).message_id == "wamid.OUT1"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, error(130429, "Rate limit hit")),
        (400, error(131056, "(Business Account, Consumer Account) pair rate limit hit")),
        (400, error(80007, "Rate limit issues")),
        (500, error(131000, "Something went wrong")),
        (503, None),  # not JSON at all
        (502, {"unexpected": True}),
    ],
)
def test_throttling_and_platform_trouble_are_retried(status: int, body: Any) -> None:
    answer = whatsapp.read_answer(status, body)
    assert answer.retry and not answer.accepted and answer.refusal is None


def test_outside_the_24_hour_window_the_send_is_refused_as_window_closed() -> None:
    answer = whatsapp.read_answer(400, error(131047, "Re-engagement message"))
    assert not answer.accepted and not answer.retry
    assert answer.window_closed
    assert answer.refusal == "http 400 code 131047"


@pytest.mark.parametrize("code", [131030, 100, 131026])  # not in allowed list, bad parameter, undeliverable
def test_a_bad_recipient_is_refused_for_good_not_as_a_closed_window(code: int) -> None:
    answer = whatsapp.read_answer(400, error(code))
    assert not answer.accepted and not answer.retry and not answer.window_closed
    assert answer.refusal == f"http 400 code {code}"


def test_an_ok_status_without_a_message_id_is_not_taken_for_an_acceptance() -> None:
    assert not whatsapp.read_answer(200, {"messaging_product": "whatsapp", "messages": []}).accepted
