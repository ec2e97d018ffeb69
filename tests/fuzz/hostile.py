"""Generators of malformed and hostile messages, shared by the fuzz tests."""

from __future__ import annotations

import json
import random
from typing import Any

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


def hostile_batch(n: int, seed: int) -> list[bytes]:
    """n hostile bodies, reproducibly, without hypothesis' per-example machinery (for bulk runs)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 6
        if kind == 0:
            out.append(rng.randbytes(rng.randint(0, 200)))
        elif kind == 1:
            out.append(b"{" + str(rng.random()).encode())
        elif kind == 2:
            body = dict(INQUIRY, id=f"bad-{i}", channel=rng.choice(["myspace", "", "IG", "friendster"]))
            out.append(json.dumps(body).encode())
        elif kind == 3:
            body = dict(
                INQUIRY,
                id=f"bad-{i}",
                sent_at=rng.choice(["kemarin", "2026-02-30T10:00:00+07:00", "2026-11-24T08:00:00"]),
            )
            out.append(json.dumps(body).encode())
        elif kind == 4:
            depth = rng.randint(50, 20_000)
            out.append(b"[" * depth + b"]" * depth)
        else:
            body = dict(
                INQUIRY, id=f"bad-{i}", schema=rng.choice(["bamsos.inquiry/2", "bamsos.reply/1", None])
            )
            out.append(json.dumps(body).encode())
    return out
