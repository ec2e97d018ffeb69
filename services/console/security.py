"""What keeps the console a public office's tool: CSRF tokens, the login rate limit, headers.

- CSRF: a random token per session (made for the login form too), in a hidden field of every POST
  form, compared in constant time; a form without it is refused with 403 before anything is read
  or done. The session cookie is also SameSite=strict, so another site's form does not carry it.
- Login attempts: at most `LOGIN_FAILURES` failures per username and client address in
  `LOGIN_WINDOW` seconds; past that every attempt (even a right password) gets 429 until the
  window has passed. Kept in this process's memory: one console process per office.
- Headers: a strict Content-Security-Policy (scripts and styles only from /static, no inline
  script), no framing, no sniffing, no referrer outside, pages not cached.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_FIELD = "csrf_token"
LOGIN_FAILURES = 5
LOGIN_WINDOW = 300.0

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(session: dict[str, Any], given: object) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class LoginLimiter:
    """Failed logins per (username, client address) in a sliding window."""

    def __init__(
        self,
        failures: int = LOGIN_FAILURES,
        window: float = LOGIN_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = failures
        self.window = window
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        seen = self._seen.get(key)
        if seen is None:
            return deque()
        cutoff = self.clock() - self.window
        while seen and seen[0] <= cutoff:
            seen.popleft()
        if not seen:
            del self._seen[key]
        return seen

    def blocked(self, key: tuple[str, str]) -> bool:
        return len(self._recent(key)) >= self.failures

    def fail(self, key: tuple[str, str]) -> None:
        if len(self._seen) > 10_000:  # a flood of made-up names must not grow memory without end
            for old in list(self._seen):
                self._recent(old)
        self._seen.setdefault(key, deque()).append(self.clock())

    def reset(self, key: tuple[str, str]) -> None:
        self._seen.pop(key, None)


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pure ASGI: streams pass through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)
