"""E-mail in: the office's mailbox read over IMAP (with IDLE).

Reading: every mail in the inbox is read (`BODY.PEEK[]`, so nothing is marked seen by accident),
taken as the webhooks take a platform's post (published with confirms), and only then moved to the
folder `Diproses` (`Ditolak` for a refused one): what is in the inbox is what is not yet handled, so
nothing is read twice and a crash before the move reads the mail again (its id makes it a duplicate).
Between rounds the connection waits in IDLE (RFC 2177) for new mail, renewed every few minutes.

Sending is `smtp.py`'s.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from typing import Any

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import IMAPClientError  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError

from services.gateway import app, mail
from services.gateway.app import Gateway
from services.gateway.events import Event
from services.gateway.publisher import Unavailable
from services.gateway.smtp import Server
from shared.runtime import logs

log = logs.get("bamsos.gateway")
DONE, REFUSED = "Diproses", "Ditolak"
IDLE_SECONDS = 240  # servers drop an IDLE after 30 minutes at the least (RFC 2177 asks for under 29)


class Mailbox:
    """The IMAP side: `run` reads the inbox until `stop`, handing each mail to `take`, which returns
    True once what the mail means is published (or it needs nothing published)."""

    def __init__(
        self,
        server: Server,
        our_address: str,
        take: Callable[[Event | mail.Automatic | mail.Refused], bool],
    ) -> None:
        self.server = server
        self.our_address = our_address
        self.take = take

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with self._connected() as imap:
                    while not stop.is_set():
                        self.read_inbox(imap)
                        self._idle(imap, stop)
            except (IMAPClientError, OSError, ssl.SSLError) as e:
                log.warning("mailbox_unreachable", error=type(e).__name__)
                stop.wait(5.0)

    def _connected(self) -> Any:
        s = self.server
        context = ssl.create_default_context()
        imap = IMAPClient(s.host, port=s.port, ssl=s.tls, ssl_context=context, timeout=60)
        if not s.tls:
            imap.starttls(context)
        imap.login(s.user, s.password)
        for folder in (DONE, REFUSED):
            if not imap.folder_exists(folder):
                imap.create_folder(folder)
        imap.select_folder(s.folder)
        return imap

    def read_inbox(self, imap: Any) -> int:
        """Take every mail in the inbox, in order; the number taken."""
        taken = 0
        for uid in imap.search(["ALL"]):
            fetched = imap.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
            raw = fetched.get(b"BODY[]")
            if raw is None:
                continue  # expunged meanwhile
            event = mail.read(bytes(raw), self.our_address)
            if not self.take(event):
                break  # the broker is away: the mail stays, and is read again
            imap.move([uid], REFUSED if isinstance(event, mail.Refused) else DONE)
            taken += 1
        return taken

    def _idle(self, imap: Any, stop: threading.Event) -> None:
        imap.idle()
        try:
            waited = 0
            while not stop.is_set() and waited < IDLE_SECONDS:
                if imap.idle_check(timeout=1):
                    return
                waited += 1
        finally:
            imap.idle_done()


def taker(gateway: Gateway) -> Callable[[Event | mail.Automatic | mail.Refused], bool]:
    """What the mailbox does with each mail, as the webhooks do with a post: publish what it means
    (confirmed), count it; False when the broker or the database is away (the mail stays)."""
    metrics = gateway.metrics

    def take(event: Event | mail.Automatic | mail.Refused) -> bool:
        if isinstance(event, mail.Automatic):
            metrics.webhooks.labels("email", "automatic").inc()
            log.info("mail_not_answered", reason=event.reason)
            return True
        if isinstance(event, mail.Refused):
            metrics.webhooks.labels("email", "refused").inc()
            log.warning("mail_refused", reason=event.reason)
            return True
        try:
            outcomes = app.take(gateway, [event])
        except (Unavailable, DBAPIError) as e:
            metrics.webhooks.labels("email", "unavailable").inc()
            log.warning("mail_unavailable", error=type(e).__name__)
            return False
        except ValueError:  # what the inquiry contract or the database can't hold
            metrics.webhooks.labels("email", "malformed").inc()
            return True
        for channel, outcome in outcomes:
            metrics.webhooks.labels(channel, outcome).inc()
        return True

    return take
