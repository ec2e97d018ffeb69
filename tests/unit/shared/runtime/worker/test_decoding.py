"""What the worker loop says about a body it can't process: the dead-letter reason."""

from __future__ import annotations

import json

import pytest

from services.intake.service import SPEC as INTAKE
from shared.runtime.errors import Rejected
from shared.runtime.worker.decoding import decode
from tests.helpers import INQUIRY

LIMIT = 64 * 1024


def reason_for(body: bytes) -> str:
    with pytest.raises(Rejected) as caught:
        decode(body, INTAKE.routes, LIMIT)
    return caught.value.reason


def test_a_valid_inquiry_decodes() -> None:
    _route, message = decode(json.dumps(INQUIRY).encode(), INTAKE.routes, LIMIT)
    assert message.id == "ig-1001"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json at all", "not_json"),
        (b"\xff\xfe\x00bad utf-8", "not_json"),
        (b"[1, 2, 3]", "not_object"),
        (b"[" * 100_000 + b"]" * 100_000, "too_large"),
        (json.dumps({**INQUIRY, "schema": "bamsos.inquiry/9"}).encode(), "unknown_schema"),
        (json.dumps({k: v for k, v in INQUIRY.items() if k != "schema"}).encode(), "unknown_schema"),
        (json.dumps({**INQUIRY, "channel": "friendster"}).encode(), "unknown_channel"),
        (json.dumps({**INQUIRY, "sent_at": "kemarin sore"}).encode(), "bad_timestamp"),
        (json.dumps({**INQUIRY, "sent_at": "2026-11-24T08:00:00"}).encode(), "bad_timestamp"),
        (json.dumps({**INQUIRY, "text": 12}).encode(), "invalid"),
    ],
)
def test_bad_input_gets_a_reason_code(body: bytes, reason: str) -> None:
    assert reason_for(body) == reason


def test_deep_nesting_within_the_size_limit_is_refused_not_crashing() -> None:
    assert reason_for(b"[" * 30_000 + b"]" * 30_000) in {"not_json", "not_object"}


def test_the_reason_detail_never_echoes_the_citizens_data() -> None:
    body = json.dumps({**INQUIRY, "channel": "friendster", "account": 3}).encode()
    with pytest.raises(Rejected) as caught:
        decode(body, INTAKE.routes, LIMIT)
    assert "friendster" not in caught.value.detail
    assert "Siti" not in caught.value.detail
    assert "channel" in caught.value.detail
