"""The gateway's settings for the tests: every platform on, with known secrets."""

from __future__ import annotations

import socket
from typing import Any

from pydantic import SecretStr

from shared.runtime.settings import Settings

WA_VERIFY, WA_SECRET, WA_TOKEN, WA_PHONE = "wa-verify", "wa-app-secret", "wa-access-token", "106540352242922"
TG_SECRET, TG_BOT = "tg-secret-token", "123456:ABC-bot-token"
META_VERIFY, META_SECRET, META_TOKEN = "meta-verify", "meta-app-secret", "meta-page-token"
X_SECRET, X_TOKEN = "x-consumer-secret", "x-user-access-token"


SECRETS = {
    "whatsapp_verify_token",
    "whatsapp_app_secret",
    "whatsapp_access_token",
    "telegram_secret_token",
    "telegram_bot_token",
    "meta_verify_token",
    "meta_app_secret",
    "meta_page_token",
    "x_consumer_secret",
    "x_access_token",
}


def with_platforms(settings: Settings, **changes: Any) -> Settings:
    """`settings` with WhatsApp, Telegram, Meta and X on (a `None` turns a secret off)."""
    secrets: dict[str, Any] = {
        "whatsapp_verify_token": WA_VERIFY,
        "whatsapp_app_secret": WA_SECRET,
        "whatsapp_access_token": WA_TOKEN,
        "whatsapp_phone_number_id": WA_PHONE,
        "telegram_secret_token": TG_SECRET,
        "telegram_bot_token": TG_BOT,
        "meta_verify_token": META_VERIFY,
        "meta_app_secret": META_SECRET,
        "meta_page_token": META_TOKEN,
        "x_consumer_secret": X_SECRET,
        "x_access_token": X_TOKEN,
    } | changes
    # model_copy does not validate: the secrets must be SecretStr already.
    values = {k: SecretStr(v) if k in SECRETS and v is not None else v for k, v in secrets.items()}
    return settings.model_copy(update=values)


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
