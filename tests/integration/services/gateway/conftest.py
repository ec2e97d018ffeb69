"""The gateway's tests' engine on the throwaway database of `settings`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()
