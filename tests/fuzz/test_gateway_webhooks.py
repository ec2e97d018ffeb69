"""Property: whatever is posted to the gateway's webhooks, signed or not, it answers without a server
error (503 only when the broker or database is away), never crashes, and publishes nothing unsigned.

Hostile bodies: random bytes, random JSON, deep nesting, bodies near the limit, and the platforms'
documented webhooks with one part broken (a wrong type, a huge string or number, a key removed)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from services.gateway.app import Gateway, create_app
from services.gateway.metrics import build_gateway_metrics
from services.gateway.platforms import platforms
from services.gateway.publisher import Publisher
from shared.devtools import fake_platforms
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from tests.fuzz.hostile import json_values
from tests.helpers import ready_count

pytestmark = pytest.mark.integration

# 1,000 examples of each kind, unsigned and signed (~20 s in all); BAMSOS_FUZZ_EXAMPLES=100000 for a
# deep run on demand (shared between the two).
EXAMPLES = int(os.environ.get("BAMSOS_FUZZ_EXAMPLES", "2000")) // 2
# The examples share one gateway (the `client` fixture: its app, test vhost and database) on purpose:
# starting one per example would cost a second each, and what one example leaves (a published
# inquiry) must not make another fail. So the function-scoped fixture check is off, no other.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

WA_SECRET, META_SECRET, TG_SECRET = "wa-app-secret", "meta-app-secret", "tg-secret-token"
ENDPOINTS = ("whatsapp", "telegram", "meta")
PSID = "6543210987654321"


def documented() -> dict[str, list[dict[str, Any]]]:
    """Valid webhooks of each platform, to break one part of."""
    image = fake_platforms.whatsapp_text("wamid.IMG", "6281234567890", "Siti", "x")
    message = image["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="image", image={"id": "1479537139650973", "mime_type": "image/jpeg"})
    photo = fake_platforms.telegram_text(2, 4242, 8, "Siti", "x")
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "f1", "file_unique_id": "u1", "width": 90, "height": 90}]
    delivery = {
        "sender": {"id": PSID},
        "recipient": {"id": "PAGE_ID"},
        "delivery": {"mids": ["m_out"], "watermark": 1},
    }
    read = {"sender": {"id": PSID}, "recipient": {"id": "PAGE_ID"}, "timestamp": 1, "read": {"watermark": 1}}
    attachment = {**fake_platforms.meta_text("m_a", PSID, "x")}
    attachment["message"] = {
        "mid": "m_a",
        "attachments": [{"type": "image", "payload": {"url": "https://x/a.jpg"}}],
    }
    return {
        "whatsapp": [
            fake_platforms.whatsapp_text("wamid.A", "6281234567890", "Siti", "Syarat KIA?"),
            fake_platforms.whatsapp_status("wamid.OUT", "6281234567890", "delivered"),
            fake_platforms.whatsapp_status("wamid.OUT", "6281234567890", "failed"),
            image,
        ],
        "telegram": [fake_platforms.telegram_text(1, 4242, 7, "Siti", "halo"), photo],
        "meta": [
            fake_platforms.meta_webhook("page", [fake_platforms.meta_text("m_1", PSID, "halo")]),
            fake_platforms.meta_webhook("instagram", [fake_platforms.meta_text("aWdf", PSID, "hai")]),
            fake_platforms.meta_webhook("page", [delivery, read, attachment]),
        ],
    }


DOCUMENTED = documented()

hostile_values = st.one_of(
    json_values,
    st.sampled_from(["", " ", "\u0000", "a\u0000b", "nan", "inf", "-1", "1e999", "kemarin", "\u202e\ufeff"]),
    st.sampled_from([0, -1, 10**12, 10**15, 10**20, 10**400, -(10**400), 2**63, 1e308]),
    st.integers(1, 300_000).map(lambda n: "x" * n),
    st.integers(1, 400).map(lambda depth: json.loads("[" * depth + "]" * depth)),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


def _changed(value: Any, path: tuple[Any, ...], new: Any, remove: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if remove and not rest:
        del copy[head]
    else:
        copy[head] = _changed(value[head], rest, new, remove)
    return copy


@st.composite
def near_valid(draw: st.DrawFn, endpoint: str) -> bytes:
    """A documented webhook of `endpoint` with one to three parts broken."""
    body: Any = draw(st.sampled_from(DOCUMENTED[endpoint]))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(body))
        path = draw(st.sampled_from(paths))
        remove = bool(path) and draw(st.booleans())
        body = _changed(body, path, draw(hostile_values), remove)
    return json.dumps(body).encode()


def bodies(endpoint: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        json_values.map(lambda v: json.dumps(v).encode()),
        near_valid(endpoint),
        st.integers(1, 50_000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.integers(1, 50_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
        st.just(b'{"object": "page", "entry": "' + b"x" * (1024 * 1024) + b'"}'),  # just over the limit
    )


def posted(client: TestClient, endpoint: str, raw: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post(
        f"/webhooks/{endpoint}", content=raw, headers={"Content-Type": "application/json", **headers}
    )


def signed(endpoint: str, raw: bytes) -> dict[str, str]:
    if endpoint == "telegram":
        return {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    return {
        "X-Hub-Signature-256": fake_platforms.signature(
            WA_SECRET if endpoint == "whatsapp" else META_SECRET, raw
        )
    }


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    on = settings.model_copy(
        update={
            "whatsapp_verify_token": SecretStr("wa-verify"),
            "whatsapp_app_secret": SecretStr(WA_SECRET),
            "whatsapp_access_token": SecretStr("wa-token"),
            "whatsapp_phone_number_id": "106540352242922",
            "telegram_secret_token": SecretStr(TG_SECRET),
            "telegram_bot_token": SecretStr("123:ABC"),
            "meta_verify_token": SecretStr("meta-verify"),
            "meta_app_secret": SecretStr(META_SECRET),
            "meta_page_token": SecretStr("meta-token"),
        }
    )
    engine: Engine = make_engine(settings.database_url)
    publisher = Publisher(settings.amqp_url)
    metrics = build_gateway_metrics(CollectorRegistry())
    app = create_app(Gateway(platforms(on), publisher, engine, metrics))
    try:
        with TestClient(app) as test_client:  # a server error raises here: "never crashes"
            yield test_client
    finally:
        publisher.close()
        engine.dispose()


def nothing_published(settings: Settings) -> bool:
    return (
        ready_count(settings.amqp_url, "bamsos.intake") == 0
        and ready_count(settings.amqp_url, "bamsos.router") == 0
    )


@st.composite
def unsigned_posts(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str]]:
    endpoint = draw(st.sampled_from(ENDPOINTS))
    raw = draw(bodies(endpoint))
    forged = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
    headers = draw(
        st.one_of(
            st.just({}),
            forged.map(lambda s: {"X-Hub-Signature-256": s}),
            st.just({"X-Hub-Signature-256": fake_platforms.signature("not-the-secret", raw)}),
            st.just({"X-Hub-Signature-256": fake_platforms.signature(WA_SECRET, raw + b"\n")}),
            forged.map(lambda s: {"X-Telegram-Bot-Api-Secret-Token": s}),
            # The right proof for the wrong platform is no proof.
            st.just(signed("telegram" if endpoint != "telegram" else "whatsapp", raw)),
        )
    )
    return endpoint, raw, headers


@FUZZ
@given(post=unsigned_posts())
def test_nothing_unsigned_is_ever_taken(
    client: TestClient, settings: Settings, post: tuple[str, bytes, dict[str, str]]
) -> None:
    endpoint, raw, headers = post
    answer = posted(client, endpoint, raw, headers)
    assert answer.status_code in (401, 413), (endpoint, answer.status_code, answer.text)
    assert nothing_published(settings)


@st.composite
def signed_posts(draw: st.DrawFn) -> tuple[str, bytes]:
    endpoint = draw(st.sampled_from(ENDPOINTS))
    return endpoint, draw(bodies(endpoint))


def _with_id(body: dict[str, Any], wamid: str) -> bytes:
    body["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = wamid
    return json.dumps(body).encode()


@FUZZ
@given(post=signed_posts())
# Found before: a NUL the database can't hold, an id over the contract's 200 characters, a time
# past the calendar (each was a 500).
@example(post=("whatsapp", _with_id(fake_platforms.whatsapp_text("w", "62", "S", "x"), "wamid.\u0000")))
@example(post=("whatsapp", _with_id(fake_platforms.whatsapp_text("w", "62", "S", "x"), "w" * 201)))
@example(
    post=(
        "meta",
        b'{"object": "page", "entry": [{"messaging": [{"sender": {"id": "1"}, "timestamp": 1'
        + b"0" * 400
        + b', "message": {"mid": "m", "text": "x"}}]}]}',
    )
)
def test_a_signed_hostile_body_is_answered_without_a_server_error(
    client: TestClient, post: tuple[str, bytes]
) -> None:
    endpoint, raw = post
    answer = posted(client, endpoint, raw, signed(endpoint, raw))
    assert answer.status_code in (200, 400, 413), (endpoint, answer.status_code, answer.text)
