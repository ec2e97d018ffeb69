"""E-mail's servers: where they are (from their URLs), and the SMTP send.

`smtp://user:pass@host:587` speaks STARTTLS and refuses a server without it; `smtps://…:465` is TLS
from the start. A 4xx answer or a lost connection is tried again, a 5xx refusal is a platform
refusal (dead-lettered with its code). Delivery reports (RFC 3461) are asked for where the relay
makes them.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from services.gateway.events import Answer, Request


@dataclass(frozen=True)
class Server:
    """Where a mail server is, from its URL."""

    tls: bool  # TLS from the start (imaps, smtps); else STARTTLS
    host: str
    port: int
    user: str
    password: str
    folder: str

    @classmethod
    def of(cls, url: str, default_ports: dict[str, int]) -> Server:
        parts = urlsplit(url)
        if parts.scheme not in default_ports:
            raise ValueError(f"{parts.scheme!r}: expected one of {', '.join(default_ports)}")
        return cls(
            tls=parts.scheme.endswith("s"),
            host=parts.hostname or "localhost",
            port=parts.port or default_ports[parts.scheme],
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )


IMAP_PORTS = {"imap": 143, "imaps": 993}
SMTP_PORTS = {"smtp": 587, "smtps": 465}


def smtp_post(server: Server, our_address: str, request: Request) -> Answer:
    """Send one mail; the sender's answer: accepted (its `Message-ID`), to retry, or refused."""
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if server.tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=30, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=30)
        with smtp:
            if not server.tls:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    return Answer(accepted=False, refusal="smtp server offers no STARTTLS")
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.user:
                smtp.login(server.user, server.password)
            # Asked for delivery reports (RFC 3461) where the relay makes them: their "delivered"
            # closes step 8, "failed" leaves it open. A relay without them: accepted is delivered.
            reports = smtp.has_extn("dsn")
            options = (["RET=HDRS"], ["NOTIFY=SUCCESS,FAILURE"]) if reports else ([], [])
            smtp.sendmail(our_address, [request.body["to"]], request.body["raw"], *options)  # CRLF, ASCII
    except smtplib.SMTPResponseException as e:  # a 5xx is for good; a 4xx (greylisting, full) for later
        if 400 <= e.smtp_code < 500:
            return Answer(accepted=False, retry=True)
        detail = e.smtp_error.decode(errors="replace")[:80] if isinstance(e.smtp_error, bytes) else ""
        return Answer(accepted=False, refusal=f"smtp {e.smtp_code} {detail}".strip())
    except smtplib.SMTPRecipientsRefused as e:
        codes = sorted({code for code, _ in e.recipients.values()})
        if all(400 <= c < 500 for c in codes):
            return Answer(accepted=False, retry=True)
        return Answer(accepted=False, refusal=f"smtp {codes[0] if codes else 550} recipient refused")
    except (smtplib.SMTPException, OSError):
        return Answer(accepted=False, retry=True)
    return Answer(accepted=True, message_id=request.body["message_id"], delivered=not reports)
