"""X direct messages through the real webhook, broker and database, and out through a local fake of
X's v2 DM endpoint: the CRC check answered as X computes it, a signed DM an inquiry, a forged or
missing signature refused and counted with nothing published, our own echo ignored, and an answer
sent as a DM whose accepted send is its delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from shared.devtools import fake_platforms
from shared.devtools.fake_platforms import FakePlatforms, x_signature
from shared.runtime.settings import Settings
from shared.sop.contracts import Inquiry, Receipt
from tests.helpers import drain, ready_count, wait_for
from tests.integration.services.gateway.platforms_on import X_SECRET, X_TOKEN, with_platforms
from tests.integration.services.gateway.test_sender import ANSWER, a_reply, put, sending
from tests.integration.services.gateway.test_webhooks import Running, nothing_published, serving

pytestmark = pytest.mark.integration

CITIZEN = "1498765432109876543"
OURS = "1580000000000000000"


@pytest.fixture
def gateway(settings: Settings, engine: Engine) -> Iterator[Running]:
    with serving(with_platforms(settings), engine) as running:
        yield running


def post(gateway: Running, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["x-twitter-webhooks-signature"] = signature
    return gateway.client.post("/webhooks/x", content=body, headers=headers)


def test_the_crc_challenge_is_answered_with_the_tokens_hmac_under_the_consumer_secret(
    gateway: Running,
) -> None:
    token = "FKj4XbcWoTVpUpwA2uM1r3CzXb8f3zv4kMZLD5GBTpY"
    answer = gateway.client.get("/webhooks/x", params={"crc_token": token})
    assert answer.status_code == 200
    digest = hmac.new(X_SECRET.encode(), token.encode(), hashlib.sha256).digest()
    assert answer.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}
    assert gateway.client.get("/webhooks/x").status_code == 400


def test_x_is_off_until_its_secrets_are_set(settings: Settings, engine: Engine) -> None:
    with serving(with_platforms(settings, x_access_token=None), engine) as gateway:
        assert gateway.client.get("/webhooks/x", params={"crc_token": "abc"}).status_code == 404
        raw = json.dumps(fake_platforms.x_dm("1", CITIZEN, "halo")).encode()
        assert post(gateway, raw, x_signature(X_SECRET, raw)).status_code == 404
    assert nothing_published(settings.amqp_url)


def test_a_signed_dm_is_an_inquiry_on_the_x_channel(gateway: Running, settings: Settings) -> None:
    raw = json.dumps(
        fake_platforms.x_dm("1860000000000000001", CITIZEN, "Min, syarat pindah datang apa?", to=OURS)
    ).encode()
    assert post(gateway, raw, x_signature(X_SECRET, raw)).status_code == 200
    [got] = drain(settings.amqp_url, "bamsos.intake")
    inquiry = Inquiry.model_validate_json(got.body)
    assert (got.routing_key, inquiry.id, inquiry.account, inquiry.name, inquiry.text) == (
        "inquiry.x",
        "1860000000000000001",
        CITIZEN,
        "Warga",
        "Min, syarat pindah datang apa?",
    )
    assert gateway.webhooks("x", "accepted") == 1


def test_our_own_dm_echoed_back_is_ignored(gateway: Running, settings: Settings) -> None:
    raw = json.dumps(fake_platforms.x_dm("1860000000000000002", OURS, ANSWER, to=OURS)).encode()
    assert post(gateway, raw, x_signature(X_SECRET, raw)).status_code == 200
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("x", "ignored") == 1


def test_a_forged_or_missing_signature_is_refused_401_counted_and_nothing_is_published(
    gateway: Running, settings: Settings
) -> None:
    raw = json.dumps(fake_platforms.x_dm("1860000000000000003", CITIZEN, "palsu", to=OURS)).encode()
    hex_digest = "sha256=" + hmac.new(X_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    forgeries = [
        None,
        "",
        x_signature("not-the-consumer-secret", raw),
        x_signature(X_SECRET, raw + b" "),
        hex_digest,  # Meta's form of the same HMAC: not X's
        x_signature(X_SECRET, raw)[len("sha256=") :],
    ]
    for forged in forgeries:
        assert post(gateway, raw, forged).status_code == 401, forged
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("x", "bad_signature") == len(forgeries)


def test_a_signed_body_that_is_no_webhook_is_refused_400(gateway: Running, settings: Settings) -> None:
    for raw in (
        b"{not json",
        b'{"direct_message_events": []}',
        b'{"for_user_id": "1", "direct_message_events": [{}]}',
    ):
        assert post(gateway, raw, x_signature(X_SECRET, raw)).status_code == 400, raw
    assert nothing_published(settings.amqp_url)
    assert gateway.webhooks("x", "malformed") == 3


def test_an_answer_goes_out_as_a_dm_and_the_accepted_send_is_its_delivery(
    settings: Settings, engine: Engine
) -> None:
    reply = a_reply("x", CITIZEN)
    with FakePlatforms() as fake, sending(settings, engine, fake, x_api_url=fake.url):
        put(settings, reply)
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.router") == 1, what="the receipt")
    [call] = fake.calls
    assert call.path == f"/2/dm_conversations/with/{CITIZEN}/messages"
    assert call.headers["authorization"] == f"Bearer {X_TOKEN}"
    assert call.body == {"text": ANSWER}
    [got] = drain(settings.amqp_url, "bamsos.router")
    assert (got.routing_key, Receipt.model_validate_json(got.body).reply_id) == ("receipt.x", reply.reply_id)
