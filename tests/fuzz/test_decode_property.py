"""Property: whatever bytes arrive, decoding either yields a valid message or says why not."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from services.intake.service import SPEC as INTAKE
from services.router.service import SPEC as ROUTER
from shared.runtime.errors import Rejected
from shared.runtime.worker.decoding import decode
from tests.fuzz.hostile import REASONS, hostile_bodies

# 2,000 examples in CI (~10 s); BAMSOS_FUZZ_EXAMPLES=100000 for a deep run on demand.
EXAMPLES = int(os.environ.get("BAMSOS_FUZZ_EXAMPLES", "2000"))


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
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
