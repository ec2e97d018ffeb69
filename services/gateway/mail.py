"""E-mail as plain functions: what a mail read from the office's mailbox is, and the answer's mail.

A mail is one of:
- a citizen's message (`Incoming`): its plain-text part (HTML turned into text when there is none),
  quoted history and signature trimmed, each attachment a placeholder line; its id is the
  `Message-ID`, its account the sender's address. A new question carries its subject as the text's
  first line (`Perihal: …`, often the question itself); a reply naming a ticket in its subject
  (`[BMS-…]`, as our mails do) is recognised as such and carries only what the citizen added, so a
  "4" answering the survey is a rating and a 👍 a thank-you.
- a delivery report (RFC 3464) of a mail we sent (`Status`): a failed delivery (a bounce: step 8
  stays open), or its delivery (step 8 closes).
- automatic (`Automatic`): `Auto-Submitted` other than `no` (RFC 3834), `Precedence: bulk/list/junk`,
  a mailing list's, an out-of-office reply, our own address, any other report: never answered.
- refused (`Refused`): hostile HTML (scripts, frames, objects) or nothing readable.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses, make_msgid, parsedate_to_datetime
from typing import Any, Literal

from services.gateway.events import PLACEHOLDERS, Event, Incoming, Request, Status
from services.gateway.mailtext import hostile, html_to_text, trim
from shared.sop.citizen import ANY_TICKET
from shared.sop.contracts import TEXT_LIMIT, Channel, MediaKind

MAX_BYTES = 10 * 1024 * 1024  # a larger mail is refused unread
SUBJECT = "Perihal: "
OUT_OF_OFFICE = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|balasan otomatis|"
    r"sedang cuti|di luar kantor|abwesenheit|absence)",
    re.IGNORECASE,
)
MAILER_DAEMONS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
KINDS = {"image": MediaKind.image, "video": MediaKind.video, "audio": MediaKind.audio}


@dataclass(frozen=True)
class Automatic:
    """A mail no person wrote to us (or our own): never answered, never a case."""

    reason: str


@dataclass(frozen=True)
class Refused:
    """A mail refused unread into a case: hostile HTML, or nothing readable in it."""

    reason: str


def read(raw: bytes, our_address: str, now: datetime | None = None) -> Event | Automatic | Refused:
    """What a mail is (see the module's docstring)."""
    if len(raw) > MAX_BYTES:
        return Refused("too_large")
    message = message_from_bytes(raw, policy=policy.default)
    sender = _address(message.get("From", ""))
    if message.get_content_type() == "multipart/report":
        return _report(message) or Automatic("report")
    automatic = _automatic(message, sender, our_address)
    if automatic is not None:
        return automatic
    if not sender:
        return Refused("no_sender")
    body, html = _body(message)
    if html is not None and hostile(html):
        return Refused("hostile_html")
    subject = " ".join(str(message.get("Subject", "")).split())
    ticket = ANY_TICKET.search(subject)
    attachments = _attachments(message)
    parts = [trim(body)] + [line for line, _ in attachments]
    added = "\n".join(p for p in parts if p).strip()
    text = added if ticket else "\n\n".join(p for p in (f"{SUBJECT}{subject}" if subject else "", added) if p)
    if not text:
        return Refused("empty")
    kind = attachments[0][1] if attachments and not trim(body) else None
    return Incoming(
        channel=Channel.email,
        id=_message_id(message, raw),
        account=sender,
        name=_name(message.get("From", "")),
        sent_at=_date(message, now or datetime.now(UTC)),
        text=text[:TEXT_LIMIT],
        media_kind=kind,
    )


def _automatic(message: Message, sender: str, our_address: str) -> Automatic | None:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto and not auto.startswith("no"):
        return Automatic("auto_submitted")
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "list", "junk", "auto_reply"):
        return Automatic("precedence")
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return Automatic("list")
    if any(message.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")):
        return Automatic("auto_reply")
    if OUT_OF_OFFICE.match(str(message.get("Subject", ""))):
        return Automatic("out_of_office")
    if MAILER_DAEMONS.match(sender) or not message.get("Return-Path", "x").strip("<> "):
        return Automatic("mailer_daemon")  # a null return path: a bounce of some kind
    if sender == our_address.lower():
        return Automatic("ours")
    return None


def _report(message: Message) -> Status | None:
    """A delivery report saying a mail of ours failed: its original `Message-ID`."""
    if str(message.get_param("report-type", "")).lower() != "delivery-status":
        return None
    action, original = None, None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            found = re.search(r"^\s*Action:\s*(\w+)", _flatten(part), re.IGNORECASE | re.MULTILINE)
            action = action or (found.group(1).lower() if found else None)
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            found = re.search(r"^Message-ID:\s*(<[^>\s]+>)", _flatten(part), re.IGNORECASE | re.MULTILINE)
            original = original or (found.group(1) if found else None)
    if original is None or action not in ("failed", "delivered", "relayed", "expanded"):
        return None  # "delayed" is no outcome yet
    state: Literal["failed", "delivered"] = "failed" if action == "failed" else "delivered"
    return Status(
        Channel.email,
        state,
        datetime.now(UTC),
        message_id=original,
        error="bounce" if action == "failed" else None,
    )


def _flatten(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(p.as_string() if isinstance(p, Message) else str(p) for p in payload)
    return part.as_string()


def _body(message: Message) -> tuple[str, str | None]:
    """The plain-text body, or the HTML one as text; and the HTML (to check it)."""
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and html is None:
            html = _decoded(part)
    if plain is not None and plain.strip():
        return plain, html
    return (html_to_text(html) if html is not None else ""), html


def _decoded(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError):  # an unknown charset: its bytes as latin-1 keep every one
        payload = part.get_payload(decode=True)
        content = payload.decode("latin-1") if isinstance(payload, bytes) else ""
    return str(content)


def _attachments(message: Message) -> list[tuple[str, MediaKind]]:
    """A placeholder line for each attachment (or inline image), with its media kind."""
    found = []
    for part in message.walk():
        body = part.get_content_type() in ("text/plain", "text/html")
        if part.is_multipart() or (body and part.get_content_disposition() != "attachment"):
            continue
        kind = KINDS.get(part.get_content_maintype(), MediaKind.document)
        name = " ".join(str(part.get_filename() or "").split())[:100]
        placeholder = PLACEHOLDERS[kind]
        found.append((f"{placeholder[:-1]}: {name}]" if name else placeholder, kind))
    return found


def _address(header: str) -> str:
    pairs = getaddresses([header])
    return pairs[0][1].strip().lower()[:200] if pairs and "@" in pairs[0][1] else ""


def _name(header: str) -> str | None:
    pairs = getaddresses([header])
    name = " ".join(pairs[0][0].split())[:200] if pairs else ""
    return name or None


def _message_id(message: Message, raw: bytes) -> str:
    given = str(message.get("Message-ID", "")).strip()
    if given and len(given) <= 200:
        return given
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@bamsos>"  # stable: the same mail, the same id


def _date(message: Message, now: datetime) -> datetime:
    try:
        sent = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return now
    if sent.tzinfo is None:
        return now
    return min(sent, now)  # a sender's clock ahead of ours counts as sent on receipt


# --- the answer's mail --------------------------------------------------------------------------


@dataclass(frozen=True)
class Thread:
    """What our mail answers: the question's `Message-ID` and subject."""

    message_id: str
    subject: str


def thread_of(upstream_id: str, text: str) -> Thread:
    """The thread of a question from its inquiry: the id, and the subject its first line keeps."""
    first = text.split("\n", 1)[0]
    subject = first[len(SUBJECT) :].strip() if first.startswith(SUBJECT) else ""
    return Thread(upstream_id, subject)


def answer(
    our_address: str,
    to: str,
    text: str,
    ticket: str | None,
    thread: Thread | None,
    *,
    key: str,
    automatic: bool,
) -> EmailMessage:
    """Our mail: in the question's thread (`In-Reply-To`, `References`), the ticket in the subject,
    `Auto-Submitted: auto-replied` on a notice (RFC 3834), so no auto-responder answers it."""
    mail = EmailMessage()
    mail["From"] = our_address
    mail["To"] = to
    base = thread.subject if thread and thread.subject else "Pertanyaan Bapak/Ibu"
    base = re.sub(r"^(\s*(re|balas|aw|fw|fwd)\s*:\s*)+", "", base, flags=re.IGNORECASE)
    tag = f" [{ticket}]" if ticket and ticket not in base else ""
    mail["Subject"] = f"Re: {base}{tag}"
    mail["Date"] = format_datetime(datetime.now(UTC))
    domain = our_address.rpartition("@")[2] or "bamsos.invalid"
    mail["Message-ID"] = make_msgid(idstring=re.sub(r"[^A-Za-z0-9.-]", "", key)[:60], domain=domain)
    if thread is not None:
        mail["In-Reply-To"] = thread.message_id
        mail["References"] = thread.message_id
    if automatic:
        mail["Auto-Submitted"] = "auto-replied"
    mail.set_content(text, cte="quoted-printable")  # an answer's paragraphs pass SMTP's 998-octet lines
    return mail


def mail_request(mail: EmailMessage) -> Request:
    """The mail as the sender's request: the SMTP post sends `raw` to `to`."""
    body: dict[str, Any] = {
        "to": str(mail["To"]),
        "raw": mail.as_string(policy=policy.SMTP),
        "message_id": str(mail["Message-ID"]),
    }
    return Request("smtp:", body)
