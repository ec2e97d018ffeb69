"""Waiting for a condition by polling it: the one helper the demo, the benchmark and the tests share."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float, *, every: float = 0.02) -> T | None:
    """Poll `probe` until it returns something truthy, and return that; None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(every)


def healthy(url: str) -> bool:
    """Whether a BAMSOS web process (the gateway, the console) at `url` answers its /healthz."""
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
