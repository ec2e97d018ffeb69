"""The demo's feed through the gateway: the chat platforms' side, played on this machine.

Each inquiry of the feed goes to the local gateway as its platform would post it (a signed
WhatsApp webhook, a Telegram update with the secret token, a signed Messenger or Instagram
webhook, a signed X direct message, or the website chat box's question from the office's page);
the answers land on `FakePlatforms`, and for WhatsApp and Meta the delivery webhook comes back for
each answer received, as the platforms send it once the citizen's phone has it. The website's few
visitors keep their box open: each reads its stream, which is the delivery there.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import zlib
from typing import Any

import httpx

from shared.devtools.fake_platforms import (
    FakePlatforms,
    meta_text,
    meta_webhook,
    signature,
    telegram_text,
    whatsapp_status,
    whatsapp_text,
    x_dm,
    x_signature,
)
from shared.sop.contracts import Channel, Inquiry

# The demo's own secrets: the gateway is started with them and the fakes sign with them.
SECRETS = {
    "BAMSOS_WHATSAPP_VERIFY_TOKEN": "demo-verify",
    "BAMSOS_WHATSAPP_APP_SECRET": "demo-whatsapp-secret",
    "BAMSOS_WHATSAPP_ACCESS_TOKEN": "demo-access-token",
    "BAMSOS_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "BAMSOS_TELEGRAM_SECRET_TOKEN": "demo-telegram-secret",
    "BAMSOS_TELEGRAM_BOT_TOKEN": "123456:demo-bot-token",
    "BAMSOS_META_VERIFY_TOKEN": "demo-verify",
    "BAMSOS_META_APP_SECRET": "demo-meta-secret",
    "BAMSOS_META_PAGE_TOKEN": "demo-page-token",
    "BAMSOS_WEB_SECRET": "demo-web-secret",
    "BAMSOS_X_CONSUMER_SECRET": "demo-x-consumer-secret",
    "BAMSOS_X_ACCESS_TOKEN": "demo-x-access-token",
}
CHANNELS = (Channel.whatsapp, Channel.telegram, Channel.facebook, Channel.instagram, Channel.x, Channel.web)
SITE = "http://disdukcapil.demo.invalid"  # the office's site the box is on (only its Origin is sent)
WEB_VISITORS = 4  # the website's citizens, each with the box open (streams per address are bounded)


def gateway_env(fake: FakePlatforms, port: int) -> dict[str, str]:
    """The settings that point a gateway at the fakes, on `port`."""
    urls = {f"BAMSOS_{p}_API_URL": fake.url for p in ("WHATSAPP", "TELEGRAM", "META", "X")}
    # Every demo visitor writes from 127.0.0.1: the per-address pace would hold them back.
    web = {"BAMSOS_WEB_ORIGINS": SITE, "BAMSOS_WEB_MESSAGES_PER_MINUTE": "100000"}
    return {**SECRETS, **urls, **web, "BAMSOS_GATEWAY_PORT": str(port)}


class GatewayFeed:
    """Sends inquiries as webhooks and confirms the deliveries of what the fakes receive."""

    def __init__(self, fake: FakePlatforms, gateway_url: str) -> None:
        self.fake = fake
        self.url = gateway_url
        self.http = httpx.Client(timeout=10.0)
        self._updates = itertools.count(1)
        self._confirmed = 0
        self._meta_objects: dict[str, str] = {}  # sender id -> page or instagram, for its deliveries
        self._visitors: dict[int, str] = {}  # the website's visitors: their signed ids
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._confirm_deliveries, daemon=True)

    def start(self) -> GatewayFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.http.close()

    def send(self, inquiry: Inquiry, n: int) -> str:
        """Post the inquiry as a webhook of a gateway channel; its upstream id in the pipeline."""
        channel = inquiry.channel if inquiry.channel in CHANNELS else CHANNELS[n % len(CHANNELS)]
        if channel is Channel.whatsapp:
            phone = f"628{zlib.crc32(inquiry.account.encode()) % 10**9:09d}"
            wamid = f"wamid.{inquiry.id}"
            self._signed(
                "whatsapp", whatsapp_text(wamid, phone, inquiry.name or "", inquiry.text, inquiry.sent_at)
            )
            return wamid
        if channel is Channel.telegram:
            chat, message_id = 10**8 + zlib.crc32(inquiry.account.encode()) % 10**8, next(self._updates)
            update = telegram_text(
                message_id, chat, message_id, (inquiry.name or "Warga").split()[0], inquiry.text
            )
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRETS["BAMSOS_TELEGRAM_SECRET_TOKEN"]}
            self._post("telegram", json.dumps(update).encode(), headers)
            return f"{chat}:{message_id}"
        if channel is Channel.web:
            return self._ask_on_website(inquiry)
        if channel is Channel.x:
            sender = str(10**18 + zlib.crc32(inquiry.account.encode()))
            raw = json.dumps(
                x_dm(f"18{inquiry.id[:16]}", sender, inquiry.text, name=inquiry.name or "Warga")
            ).encode()
            secret = SECRETS["BAMSOS_X_CONSUMER_SECRET"]
            self._post("x", raw, {"x-twitter-webhooks-signature": x_signature(secret, raw)})
            return f"18{inquiry.id[:16]}"
        object_ = "page" if channel is Channel.facebook else "instagram"
        mid = f"m_{inquiry.id}"
        sender = str(zlib.crc32(inquiry.account.encode()))
        self._meta_objects[sender] = object_
        self._signed("meta", meta_webhook(object_, [meta_text(mid, sender, inquiry.text)]))
        return mid

    def _ask_on_website(self, inquiry: Inquiry) -> str:
        """The question from the box on the office's page; the first of a visitor opens its stream."""
        n = zlib.crc32(inquiry.account.encode()) % WEB_VISITORS
        body = {"text": inquiry.text, "name": inquiry.name, "website": "", "visitor": self._visitors.get(n)}
        response = self.http.post(f"{self.url}/widget/messages", json=body, headers={"Origin": SITE})
        response.raise_for_status()
        answer = response.json()
        if n not in self._visitors:
            self._visitors[n] = answer["visitor"]
            threading.Thread(target=self._read_stream, args=(answer["visitor"],), daemon=True).start()
        return str(answer["id"])

    def _read_stream(self, visitor: str) -> None:
        """A visitor's open box: reads what comes (the gateway records each reply read as delivered)."""
        url = f"{self.url}/widget/stream"
        while not self._stop.is_set():
            try:
                with httpx.stream(
                    "GET", url, params={"visitor": visitor}, headers={"Origin": SITE}, timeout=None
                ) as stream:
                    for _line in stream.iter_lines():
                        if self._stop.is_set():
                            return
            except httpx.HTTPError:
                self._stop.wait(1.0)

    def _signed(self, platform: str, body: dict[str, Any]) -> None:
        secret = SECRETS["BAMSOS_WHATSAPP_APP_SECRET" if platform == "whatsapp" else "BAMSOS_META_APP_SECRET"]
        raw = json.dumps(body).encode()
        self._post(platform, raw, {"X-Hub-Signature-256": signature(secret, raw)})

    def _post(self, platform: str, raw: bytes, headers: dict[str, str]) -> None:
        headers = {**headers, "Content-Type": "application/json"}
        response = self.http.post(f"{self.url}/webhooks/{platform}", content=raw, headers=headers)
        response.raise_for_status()

    def _confirm_deliveries(self) -> None:
        """For each answer the fakes accepted, the platform's delivery webhook (Telegram and X have none)."""
        while not self._stop.wait(0.2):
            calls = self.fake.sent()
            for call in calls[self._confirmed :]:
                if call.platform == "whatsapp":
                    wamid = call.answer["messages"][0]["id"]
                    self._signed("whatsapp", whatsapp_status(wamid, call.body["to"], "delivered"))
                elif call.platform == "meta":
                    recipient = call.body["recipient"]["id"]
                    delivery = {
                        "sender": {"id": recipient},
                        "recipient": {"id": "PAGE_ID"},
                        "timestamp": int(time.time() * 1000),
                        "delivery": {"mids": [call.answer["message_id"]]},
                    }
                    object_ = self._meta_objects.get(recipient, "page")
                    self._signed("meta", meta_webhook(object_, [delivery]))
            self._confirmed = len(calls)
