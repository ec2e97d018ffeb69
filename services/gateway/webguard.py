"""What the website chat box checks before it takes anything: the page's origin, the client
address's pace, and the visitor's signed cookie. Plain objects, tested without a server.

A visitor is known only by an opaque random id in a cookie signed with `BAMSOS_WEB_SECRET`
(itsdangerous): nothing personal, and a forged or tampered cookie is a new visitor.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "bamsos_web"
COOKIE_DAYS = 30  # a returning visitor finds their conversation for a month
MAX_BODY_BYTES = 16 * 1024  # a question of 4000 characters and a name, as JSON, with room to spare
STREAMS_PER_ADDRESS = 10  # open conversations at once from one address (an office's NAT, a family)


class Pace:
    """At most `per_minute` events a minute per client address (a sliding window, in memory:
    one gateway process counts its own clients)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(address, deque())
            while times and now - times[0] >= 60.0:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            if len(self._seen) > 10_000:  # forget the addresses that went quiet
                self._seen = {a: t for a, t in self._seen.items() if t and now - t[-1] < 60.0}
            return True


class Streams:
    """Open conversation streams per client address, so one address can't hold the server."""

    def __init__(self, limit: int = STREAMS_PER_ADDRESS) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}

    def enter(self, address: str) -> bool:
        with self._lock:
            if self._open.get(address, 0) >= self.limit:
                return False
            self._open[address] = self._open.get(address, 0) + 1
            return True

    def leave(self, address: str) -> None:
        with self._lock:
            left = self._open.get(address, 1) - 1
            if left:
                self._open[address] = left
            else:
                self._open.pop(address, None)


@dataclass
class WebBox:
    """The chat box's settings and state in the gateway."""

    origins: frozenset[str]
    secret: str
    pace: Pace
    streams: Streams = field(default_factory=Streams)

    def allowed(self, origin: str | None) -> bool:
        return origin is not None and origin.rstrip("/") in self.origins

    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="bamsos.web.visitor")

    def visitor(self, cookie: str | None) -> str | None:
        """The visitor id in a cookie this gateway signed within COOKIE_DAYS; None otherwise."""
        if not cookie:
            return None
        try:
            value = self._signer().loads(cookie, max_age=COOKIE_DAYS * 86400)
        except BadSignature:  # SignatureExpired is one
            return None
        return value if isinstance(value, str) else None

    def cookie_for(self, visitor: str) -> str:
        return self._signer().dumps(visitor)


def new_visitor() -> str:
    """An opaque random id: the inquiries' `account` for the web channel."""
    return "w-" + secrets.token_urlsafe(18)


def web_box(origins: list[str], secret: str | None, per_minute: int) -> WebBox | None:
    """The box when origins are set (it is off otherwise)."""
    if not origins:
        return None
    return WebBox(frozenset(origins), secret or secrets.token_urlsafe(32), Pace(per_minute))
