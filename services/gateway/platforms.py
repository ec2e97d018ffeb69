"""Which platforms are on, from the settings, and what the gateway needs of each.

A platform is on when every secret it needs is set; otherwise its webhook answers 404 and replies
on its channels are not sent (the gateway starts anyway).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from services.gateway import meta, telegram, whatsapp
from services.gateway.events import Answer, Event, Request
from shared.runtime.settings import Settings
from shared.sop.contracts import Channel


@dataclass(frozen=True)
class Platform:
    name: str  # its webhook is /webhooks/<name>
    channels: tuple[Channel, ...]
    limit: int  # characters in one message
    parse: Callable[[Any], list[Event]]
    text_request: Callable[[str, str], Request]  # (account, text)
    read_answer: Callable[[int, Any], Answer]
    # WhatsApp and Meta sign each webhook body (HMAC-SHA256) and verify the URL with a token;
    # Telegram sends back a secret token in a header.
    app_secret: str | None = None
    verify_token: str | None = None
    secret_token: str | None = None
    # Telegram has no delivery receipts: an accepted send is the delivery.
    delivered_on_send: bool = False
    # A channel with a lower limit than its platform's (Instagram: 1000 against Messenger's 2000).
    channel_limits: dict[Channel, int] = field(default_factory=dict)
    # How long after the citizen's last message free text may be sent (WhatsApp's customer-service
    # window); None: no window, free text at any time.
    service_window: timedelta | None = None
    # After the customer-service window: the approved template to send instead (WhatsApp).
    template_request: Callable[[str], Request] | None = None
    template_name: str | None = None


def _all_set(*values: SecretStr | str | None) -> bool:
    return all(v.get_secret_value() if isinstance(v, SecretStr) else v for v in values)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value else ""


def platforms(settings: Settings) -> dict[str, Platform]:
    """The platforms that are on, by webhook name."""
    s = settings
    found: dict[str, Platform] = {}
    if _all_set(
        s.whatsapp_verify_token, s.whatsapp_app_secret, s.whatsapp_access_token, s.whatsapp_phone_number_id
    ):
        token, phone = _secret(s.whatsapp_access_token), s.whatsapp_phone_number_id or ""
        template = _template(s.whatsapp_template)
        found["whatsapp"] = Platform(
            name="whatsapp",
            channels=(Channel.whatsapp,),
            limit=whatsapp.LIMIT,
            parse=whatsapp.parse,
            text_request=functools.partial(whatsapp.text_request, s.whatsapp_api_url, phone, token),
            read_answer=whatsapp.read_answer,
            app_secret=_secret(s.whatsapp_app_secret),
            verify_token=_secret(s.whatsapp_verify_token),
            service_window=whatsapp.SERVICE_WINDOW,
            template_request=(
                functools.partial(_whatsapp_template, s.whatsapp_api_url, phone, token, *template)
                if template
                else None
            ),
            template_name=template[0] if template else None,
        )
    if _all_set(s.telegram_secret_token, s.telegram_bot_token):
        found["telegram"] = Platform(
            name="telegram",
            channels=(Channel.telegram,),
            limit=telegram.LIMIT,
            parse=telegram.parse,
            text_request=functools.partial(
                telegram.text_request, s.telegram_api_url, _secret(s.telegram_bot_token)
            ),
            read_answer=telegram.read_answer,
            secret_token=_secret(s.telegram_secret_token),
            delivered_on_send=True,
        )
    if _all_set(s.meta_verify_token, s.meta_app_secret, s.meta_page_token):
        found["meta"] = Platform(
            name="meta",
            channels=(Channel.facebook, Channel.instagram),
            limit=meta.LIMIT,
            channel_limits={Channel.instagram: meta.INSTAGRAM_LIMIT},
            parse=meta.parse,
            text_request=functools.partial(meta.text_request, s.meta_api_url, _secret(s.meta_page_token)),
            read_answer=meta.read_answer,
            app_secret=_secret(s.meta_app_secret),
            verify_token=_secret(s.meta_verify_token),
        )
    return found


def _whatsapp_template(
    api_url: str, phone: str, token: str, name: str, language: str, account: str
) -> Request:
    return whatsapp.template_request(api_url, phone, token, account, name, language)


def _template(setting: str | None) -> tuple[str, str] | None:
    """`name:language` (language defaults to Indonesian)."""
    if not setting:
        return None
    name, _, language = setting.partition(":")
    return name.strip(), (language.strip() or "id")


def by_channel(found: dict[str, Platform]) -> dict[Channel, Platform]:
    return {channel: p for p in found.values() for channel in p.channels}
