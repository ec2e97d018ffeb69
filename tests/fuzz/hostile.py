"""Generators of malformed and hostile messages, shared by the fuzz tests."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any, NamedTuple

from hypothesis import strategies as st

from shared.runtime.errors import DECODE_REASONS
from tests.helpers import INQUIRY

REASONS = set(DECODE_REASONS)  # everything hostile is refused by the decoder itself

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def mutated_inquiry(draw: Any) -> bytes:
    """A real inquiry with one or more fields broken: wrong types, unknown codes, bad times, extras."""
    body: dict[str, Any] = dict(INQUIRY)
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from([*INQUIRY, "nik", "extra"]))
        body[field] = draw(
            json_values
            | st.sampled_from(["myspace", "2026-13-45T99:00:00Z", "yesterday", "", "bamsos.inquiry/2"])
            | st.text(min_size=4001, max_size=4100)
        )
    if draw(st.booleans()):
        body.pop(draw(st.sampled_from(list(INQUIRY))), None)
    return json.dumps(body).encode()


hostile_bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    mutated_inquiry(),
    st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.just(b'{"schema": "bamsos.inquiry/1", "text": "' + b"x" * 70_000 + b'"}'),
)


class Hostile(NamedTuple):
    body: bytes
    reason: str  # the one reason the decoder must give it (errors.DECODE_REASONS)


def _inquiry(i: int, **broken: Any) -> bytes:
    return json.dumps(dict(INQUIRY, id=f"bad-{i}", **broken)).encode()


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _missing(i: int, rng: random.Random) -> bytes:
    body = dict(INQUIRY, id=f"bad-{i}")
    del body[rng.choice(["id", "account", "text", "sent_at"])]
    return json.dumps(body).encode()


# Each kind of hostile body with the reason it must get, and how to make one. Together they cover
# every reason the decoder gives (test_decode_property checks that, and each kind's reason).
KINDS: tuple[tuple[str, Callable[[random.Random, int, int], bytes]], ...] = (
    # 0xC0 never starts UTF-8, nor a UTF-16/32 text that decodes to JSON: never parses.
    ("not_json", lambda rng, i, limit: b"\xc0" + rng.randbytes(rng.randint(0, 200))),
    ("not_json", lambda rng, i, limit: b"{" + str(rng.random()).encode()),
    # Nesting past the recursion limit (1,000 frames) is a RecursionError, caught: not JSON.
    ("not_json", lambda rng, i, limit: _nested(rng.randint(2_000, min(20_000, limit // 2)))),
    ("not_object", lambda rng, i, limit: _nested(rng.randint(1, 400))),
    ("too_large", lambda rng, i, limit: _inquiry(i, text="x" * (limit + rng.randint(0, 2_000)))),
    (
        "unknown_schema",
        lambda rng, i, limit: _inquiry(i, schema=rng.choice(["bamsos.inquiry/2", "bamsos.reply/1", None])),
    ),
    (
        "unknown_channel",
        lambda rng, i, limit: _inquiry(i, channel=rng.choice(["myspace", "", "IG", "friendster", 5])),
    ),
    (
        "bad_timestamp",
        lambda rng, i, limit: _inquiry(
            i, sent_at=rng.choice(["kemarin", "2026-02-30T10:00:00+07:00", "2026-11-24T08:00:00"])
        ),
    ),
    ("invalid", lambda rng, i, limit: _missing(i, rng)),
    ("invalid", lambda rng, i, limit: _inquiry(i, text=rng.choice([123, "x" * 4001, ["a"]]))),
    ("invalid", lambda rng, i, limit: _inquiry(i, nik="3271046504870002")),  # no field of ours
)


def hostile_batch(n: int, seed: int, limit: int) -> list[Hostile]:
    """n hostile bodies cycling through KINDS, reproducibly, each with the reason it must get from a
    service whose body limit is `limit` bytes (without hypothesis' per-example machinery)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        reason, make = KINDS[i % len(KINDS)]
        out.append(Hostile(make(rng, i, limit), reason))
    return out
