"""The live queue: the SSE stream sends the list again when a case arrives, without a reload."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from shared.runtime.settings import Settings
from tests.integration.services.console.conftest import Case, inquire, logged_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pipeline")]


def events(lines: Iterator[str], deadline: float) -> Iterator[tuple[str, str]]:
    """(event, data) of a text/event-stream, as an EventSource reads it; fails past `deadline`
    (the server's pings every 15 s bring a line at least that often)."""
    name, data = "message", []
    for line in lines:
        assert time.monotonic() < deadline, "no awaited event in time"
        if line == "":
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


def test_a_new_case_shows_on_the_live_queue(settings: Settings, client: TestClient) -> None:
    logged_in(client, "rina")
    arrived: list[Case] = []
    with client.stream("GET", "/antrean/admin/live") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        seen = events(stream.iter_lines(), time.monotonic() + 45)
        name, first = next(seen)
        assert name == "antrean" and "Menunggu: 0 kasus" in first
        # The citizen writes while the officer watches.
        sender = threading.Thread(target=lambda: arrived.append(inquire(settings, topic="informasi")))
        sender.start()
        for name, data in seen:
            if name == "antrean" and "Menunggu: 1 kasus" in data:
                break
        sender.join(30)
    [case] = arrived
    assert case.ticket in data and "Min, syarat bikin KIA apa aja?" in data


def test_the_live_queue_needs_a_login(client: TestClient) -> None:
    assert client.get("/antrean/admin/live").status_code == 401
