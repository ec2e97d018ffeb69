"""Which platforms are on: those whose every secret is set; each with its limits, proofs and requests."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.platforms import by_channel, platforms
from shared.runtime.settings import Settings
from shared.sop.contracts import Channel

ALL_SET: dict[str, Any] = {
    "whatsapp_verify_token": "wa-verify",
    "whatsapp_app_secret": "wa-secret",
    "whatsapp_access_token": "wa-token",
    "whatsapp_phone_number_id": "106540352242922",
    "telegram_secret_token": "tg-secret",
    "telegram_bot_token": "123:ABC",
    "meta_verify_token": "meta-verify",
    "meta_app_secret": "meta-secret",
    "meta_page_token": "meta-token",
}


def settings(**changes: Any) -> Settings:
    return Settings.model_validate(ALL_SET | changes)


def test_with_every_secret_set_all_three_platforms_are_on_for_their_channels() -> None:
    found = platforms(settings())
    assert sorted(found) == ["meta", "telegram", "whatsapp"]
    assert sorted(by_channel(found)) == sorted(
        [Channel.whatsapp, Channel.telegram, Channel.facebook, Channel.instagram]
    )


@pytest.mark.parametrize(
    ("missing", "off"),
    [
        ("whatsapp_verify_token", "whatsapp"),
        ("whatsapp_app_secret", "whatsapp"),
        ("whatsapp_access_token", "whatsapp"),
        ("whatsapp_phone_number_id", "whatsapp"),
        ("telegram_secret_token", "telegram"),
        ("telegram_bot_token", "telegram"),
        ("meta_verify_token", "meta"),
        ("meta_app_secret", "meta"),
        ("meta_page_token", "meta"),
    ],
)
def test_a_platform_missing_any_secret_is_off_and_the_others_stay_on(missing: str, off: str) -> None:
    for unset in (None, ""):
        found = platforms(settings(**{missing: unset}))
        assert sorted(found) == sorted({"whatsapp", "telegram", "meta"} - {off})


def test_with_no_secrets_no_platform_is_on() -> None:
    assert platforms(Settings.model_validate(dict.fromkeys(ALL_SET))) == {}


def test_each_platform_carries_its_proof_and_its_limit() -> None:
    found = platforms(settings())
    wa, tg, meta = found["whatsapp"], found["telegram"], found["meta"]
    assert (wa.app_secret, wa.verify_token, wa.secret_token, wa.limit) == (
        "wa-secret",
        "wa-verify",
        None,
        4096,
    )
    assert (tg.secret_token, tg.verify_token, tg.delivered_on_send, tg.limit) == (
        "tg-secret",
        None,
        True,
        4096,
    )
    assert (meta.app_secret, meta.verify_token, meta.limit) == ("meta-secret", "meta-verify", 2000)
    assert meta.channel_limits == {Channel.instagram: 1000}


def test_requests_go_to_the_configured_api_urls() -> None:
    found = platforms(
        settings(
            whatsapp_api_url="http://127.0.0.1:9/wa",
            telegram_api_url="http://127.0.0.1:9/tg",
            meta_api_url="http://127.0.0.1:9/meta",
        )
    )
    assert found["whatsapp"].text_request("62", "x").url == "http://127.0.0.1:9/wa/106540352242922/messages"
    assert found["telegram"].text_request("42", "x").url == "http://127.0.0.1:9/tg/bot123:ABC/sendMessage"
    assert found["meta"].text_request("psid", "x").url == "http://127.0.0.1:9/meta/me/messages"


def test_without_a_template_setting_whatsapp_has_no_template() -> None:
    wa = platforms(settings())["whatsapp"]
    assert wa.template_request is None and wa.template_name is None


@pytest.mark.parametrize(
    ("setting", "name", "language"),
    [
        ("balasan_dukcapil:id", "balasan_dukcapil", "id"),
        ("balasan_dukcapil", "balasan_dukcapil", "id"),
        (" jawaban : en_US ", "jawaban", "en_US"),
    ],
)
def test_the_template_setting_is_name_and_language_indonesian_by_default(
    setting: str, name: str, language: str
) -> None:
    wa = platforms(settings(whatsapp_template=setting))["whatsapp"]
    assert wa.template_name == name
    assert wa.template_request is not None
    assert wa.template_request("62812").body["template"] == {"name": name, "language": {"code": language}}
