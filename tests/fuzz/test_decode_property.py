"""Property: whatever bytes arrive, decoding either yields a valid message or says why not."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings

from services.intake.service import SPEC as INTAKE
from services.router.service import SPEC as ROUTER
from shared.runtime.errors import Rejected
from shared.runtime.worker.decoding import decode
from tests.fuzz.hostile import KINDS, REASONS, hostile_batch, hostile_bodies

# 2,000 examples in CI (~10 s); BAMSOS_FUZZ_EXAMPLES=100000 for a deep run on demand. Every health
# check is on: the test takes no fixture, and its strategies pass them.
EXAMPLES = int(os.environ.get("BAMSOS_FUZZ_EXAMPLES", "2000"))


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(body=hostile_bodies)
def test_any_body_is_decoded_or_rejected_with_a_known_reason_never_crashing(body: bytes) -> None:
    for spec in (INTAKE, ROUTER):
        try:
            route, message = decode(body, spec.routes, 64 * 1024)
        except Rejected as rejected:
            assert rejected.reason in REASONS
            assert len(rejected.detail) < 2000
        else:
            assert route.model is type(message)


@pytest.mark.parametrize("limit", [64 * 1024, 8 * 1024])
def test_each_kind_of_the_flood_gets_its_own_reason_and_the_kinds_cover_every_reason(limit: int) -> None:
    batch = hostile_batch(len(KINDS) * 30, seed=7, limit=limit)
    given_reasons = []
    for body, _ in batch:
        try:
            decode(body, INTAKE.routes, limit)
        except Rejected as rejected:
            given_reasons.append(rejected.reason)
        else:
            given_reasons.append("accepted")
    assert given_reasons == [reason for _, reason in batch]
    assert {reason for reason, _ in KINDS} == REASONS
