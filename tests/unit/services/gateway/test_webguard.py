"""The website chat box's checks: exact origins, a pace per client address, open streams per
address, and a visitor known only by a cookie this gateway signed."""

from __future__ import annotations

from itsdangerous import URLSafeTimedSerializer

from services.gateway.webguard import Pace, Streams, WebBox, new_visitor, web_box
from shared.runtime.settings import Settings

SITE = "https://disdukcapil.pekanbarukota.go.id"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def a_box(secret: str = "kunci-uji") -> WebBox:
    box = web_box([SITE], secret, 6)
    assert box is not None
    return box


def test_the_box_is_off_until_origins_are_set() -> None:
    assert web_box([], "kunci", 6) is None


def test_the_origins_setting_is_a_comma_separated_list_without_trailing_slashes() -> None:
    settings = Settings(web_origins=f" {SITE}/ , http://127.0.0.1:8001")  # type: ignore[arg-type]
    assert settings.web_origins == [SITE, "http://127.0.0.1:8001"]
    # deploy/k8s/config.yaml writes the default as JSON: an empty list, the box off.
    assert Settings(web_origins="[]").web_origins == []  # type: ignore[arg-type]


def test_only_the_listed_origins_exactly_are_allowed() -> None:
    box = a_box()
    assert box.allowed(SITE) and box.allowed(SITE + "/")
    for other in (
        None,
        "",
        "null",
        "http://disdukcapil.pekanbarukota.go.id",
        SITE + ".evil.example",
        SITE + ":8443",
    ):
        assert not box.allowed(other), other


def test_a_client_address_may_send_its_messages_a_minute_and_then_waits() -> None:
    clock = Clock()
    pace = Pace(3, clock)
    assert [pace.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert pace.allow("10.0.0.2"), "another address has its own count"
    clock.now += 59
    assert not pace.allow("10.0.0.1")
    clock.now += 1
    assert pace.allow("10.0.0.1")


def test_one_address_holds_a_bounded_number_of_open_streams() -> None:
    streams = Streams(limit=2)
    assert streams.enter("10.0.0.1") and streams.enter("10.0.0.1")
    assert not streams.enter("10.0.0.1")
    streams.leave("10.0.0.1")
    assert streams.enter("10.0.0.1")


def test_a_visitor_is_the_random_id_in_a_cookie_signed_here() -> None:
    box = a_box()
    visitor = new_visitor()
    assert box.visitor(box.cookie_for(visitor)) == visitor
    assert new_visitor() != visitor


def test_a_tampered_or_foreign_cookie_is_no_visitor() -> None:
    box = a_box()
    cookie = box.cookie_for(new_visitor())
    assert box.visitor(cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")) is None
    assert box.visitor(a_box("kunci-lain").cookie_for("w-orang-lain")) is None
    forged = URLSafeTimedSerializer("kunci-uji", salt="lain").dumps("w-orang-lain")
    assert box.visitor(forged) is None
    assert box.visitor(None) is None and box.visitor("") is None
