"""Unit-test fixtures: one migrated database for the session, each test in a transaction that is
rolled back, and a handler context with a frozen clock. No broker: these pass with RabbitMQ away."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Connection, Engine

from shared.runtime.storage import make_engine
from shared.runtime.worker.harness import rolled_back
from shared.sop.classify import Classifier, load_rules
from shared.sop.clock import SopClock
from shared.sop.context import Context, HandlerSetup
from shared.sop.metrics import build_sop_metrics
from shared.sop.orgchart import OrgChart
from tests import servers as real
from tests.helpers import FrozenTime

# Monday 30 November 2026, 09:00 WIB: a working morning.
MONDAY_MORNING = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def engine(postgres: str) -> Iterator[Engine]:
    with real.database(postgres) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Connection]:
    with rolled_back(engine) as connection:
        yield connection


@pytest.fixture
def now() -> FrozenTime:
    return FrozenTime(MONDAY_MORNING)


@pytest.fixture
def handler_setup(now: FrozenTime, chart: OrgChart) -> HandlerSetup:
    """Round the clock (24x7), at SOP speed, with its own metrics registry."""
    return HandlerSetup(
        clock=SopClock(now=now),
        chart=chart,
        metrics=build_sop_metrics(CollectorRegistry()),
        classifier=Classifier(load_rules()),
    )


@pytest.fixture
def ctx(db: Connection, handler_setup: HandlerSetup) -> Context:
    return handler_setup.context(db, None)
