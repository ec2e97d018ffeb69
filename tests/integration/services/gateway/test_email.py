"""E-mail against real servers started here: Debian's Dovecot (IMAPS, the office's mailbox) and an
SMTP relay demanding STARTTLS (aiosmtpd), with intake, the router, the mailbox reader and the sender
running on the real broker and database. A question by mail gets its acknowledgement and its answer
in its own thread with the ticket in the subject; the citizen's reply is recognised by it; automatic
mail is never answered; hostile HTML is refused; a bounce of our answer leaves step 8 open."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa
from imapclient import IMAPClient  # type: ignore[import-untyped]
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from services.gateway import mailbox
from services.gateway.app import Gateway
from services.gateway.metrics import build_gateway_metrics
from services.gateway.platforms import platforms
from services.gateway.publisher import Publisher
from services.gateway.smtp import IMAP_PORTS, Server
from shared.devtools.fake_platforms import FakePlatforms
from shared.devtools.mail_servers import Dovecot, Received, Relay
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import gateway_sends, handovers, inquiries
from tests.helpers import InProcess, drain, publish, ready_count, wait_for
from tests.integration.services.gateway.platforms_on import with_platforms
from tests.integration.services.gateway.test_sender import sending

pytestmark = pytest.mark.integration

OFFICE = "dukcapil@kantor.test"
CITIZEN = "siti.lestari@warga.test"
ANSWER = "Syarat akta kelahiran: surat keterangan lahir, KK dan KTP-el orang tua. Gratis."


@dataclass
class Mail:
    """The servers, the settings that turn e-mail on, and the mailbox reader's metrics."""

    dovecot: Dovecot
    relay: Relay
    settings: Settings
    registry: CollectorRegistry

    def deliver(self, mail: EmailMessage | bytes) -> None:
        """Put a mail in the office's inbox, as the office's mail server does."""
        raw = mail if isinstance(mail, bytes) else mail.as_bytes()
        with self.imap() as imap:
            imap.append("INBOX", raw)

    def imap(self) -> IMAPClient:
        d = self.dovecot
        imap = IMAPClient("127.0.0.1", port=d.port, ssl=True, ssl_context=ssl.create_default_context())
        imap.login(d.user, d.password)
        return imap

    def count(self, folder: str) -> int:
        with self.imap() as imap:
            if not imap.folder_exists(folder):
                return 0
            imap.select_folder(folder, readonly=True)
            return len(imap.search(["ALL"]))

    def read(self, outcome: str) -> float:
        labels = {"channel": "email", "outcome": outcome}
        return self.registry.get_sample_value("bamsos_gateway_webhooks_total", labels) or 0.0

    def sent(self, n: int) -> list[Received]:
        """The relay's first `n` mails, once it has them."""
        return wait_for(
            lambda: self.relay.received[:n] if len(self.relay.received) >= n else None, what=f"{n} mails"
        )


@pytest.fixture
def mail(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mail]:
    with (
        Dovecot() as dovecot,
        Relay(dovecot.cert, dovecot.folder / "key.pem", reports_delivery=True) as relay,
    ):
        monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert))  # the servers' self-signed certificate
        on = with_platforms(
            settings,
            email_imap_url=SecretStr(dovecot.url),
            email_smtp_url=SecretStr(relay.url),
            email_address=OFFICE,
        )
        registry = CollectorRegistry()
        metrics = build_gateway_metrics(registry)
        publisher = Publisher(on.amqp_url)
        gateway = Gateway(platforms(on), publisher, engine, metrics)
        reader = mailbox.Mailbox(Server.of(dovecot.url, IMAP_PORTS), OFFICE, mailbox.taker(gateway))
        stop = threading.Event()
        thread = threading.Thread(target=reader.run, args=(stop,), daemon=True)
        thread.start()
        try:
            yield Mail(dovecot, relay, on, registry)
        finally:
            stop.set()
            thread.join(15)
            publisher.close()
            assert not thread.is_alive(), "the mailbox reader did not stop"


def question() -> EmailMessage:
    """A citizen's question as a mail program sends it: text and HTML, a signature, an attachment."""
    mail = EmailMessage()
    mail["From"] = f"Siti Lestari <{CITIZEN}>"
    mail["To"] = OFFICE
    mail["Subject"] = "Syarat akta kelahiran anak"
    mail["Message-ID"] = make_msgid(domain="warga.test")
    mail["Date"] = "Mon, 07 Dec 2026 08:15:00 +0700"
    mail.set_content(
        "Selamat pagi, apa saja syarat membuat akta kelahiran anak?\n\n-- \nSiti Lestari\n0812-0000-0000\n"
    )
    mail.add_alternative("<p>Selamat pagi, apa saja syarat membuat akta kelahiran anak?</p>", subtype="html")
    mail.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="surat-lahir.pdf")
    return mail


def reply_to(ours: Received, text: str) -> EmailMessage:
    """The citizen's reply to one of our mails, quoting it below as mail programs do."""
    original = message_from_bytes(ours.raw, policy=policy.default)
    mail = EmailMessage()
    mail["From"] = f"Siti Lestari <{CITIZEN}>"
    mail["To"] = OFFICE
    mail["Subject"] = f"Re: {original['Subject']}"
    mail["Message-ID"] = make_msgid(domain="warga.test")
    mail["In-Reply-To"] = original["Message-ID"]
    mail["References"] = f"{original['References']} {original['Message-ID']}"
    quoted = "\n".join(f"> {line}" for line in str(original.get_content()).splitlines())
    mail.set_content(f"{text}\n\nPada Sen, 7 Des 2026 pukul 09.00, {OFFICE} menulis:\n{quoted}\n")
    return mail


def delivery_report(ours: Received, action: str) -> bytes:
    """The relay's delivery status notification (RFC 3464) about one of our mails."""
    original = message_from_bytes(ours.raw, policy=policy.default)
    status = "5.1.1" if action == "failed" else "2.0.0"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@kantor.test>\r\n"
        f"To: {OFFICE}\r\nSubject: Delivery Status Notification\r\nAuto-Submitted: auto-replied\r\n"
        f"Message-ID: {make_msgid(domain='kantor.test')}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain\r\n\r\nYour message to {CITIZEN}: {action}.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; kantor.test\r\n\r\n"
        f"Final-Recipient: rfc822; {CITIZEN}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original['Message-ID']}\r\n"
        f"Subject: {original['Subject']}\r\n--b--\r\n"
    ).encode()


def answer_the_admin_task(settings: Settings) -> None:
    wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.admin") == 1, what="the admin's task")
    [task] = drain(settings.amqp_url, "bamsos.tasks.admin")
    result = {
        "schema": "bamsos.task-result/1",
        "task_id": task.json()["task_id"],
        "officer": "Rina",
        "outcome": "answered",
        "text": ANSWER,
        "at": "2026-12-07T02:00:00Z",
    }
    publish(settings.amqp_url, topology.EVENTS, "task.result", json.dumps(result).encode())


def step_8_open(engine: Engine) -> bool:
    with engine.connect() as db:
        done = db.scalar(sa.select(handovers.c.done_at).where(handovers.c.step == 8))
    return done is None


def transcript(mails: list[tuple[str, bytes]]) -> str:
    lines = []
    for who, raw in mails:
        m = message_from_bytes(raw, policy=policy.default)
        body = m.get_body(("plain",))
        text = str(body.get_content()).strip() if body is not None else ""
        head = " | ".join(
            f"{h}: {m[h]}" for h in ("From", "To", "Subject", "In-Reply-To", "Auto-Submitted") if m[h]
        )
        lines.append(f"--- {who}: {head}\n{text}")
    return "\n".join(lines)


def test_a_mailed_question_is_answered_in_its_thread_and_the_reply_is_recognised_by_its_ticket(
    mail: Mail, engine: Engine
) -> None:
    asked = question()
    with (
        FakePlatforms() as fake,
        sending(mail.settings, engine, fake),
        InProcess("intake", mail.settings),
        InProcess("router", mail.settings),
    ):
        mail.deliver(asked)
        [ack] = mail.sent(1)
        acknowledgement = message_from_bytes(ack.raw, policy=policy.default)
        with engine.connect() as db:
            text, ticket = db.execute(sa.select(inquiries.c.text, inquiries.c.ticket)).one()
        assert text == (
            "Perihal: Syarat akta kelahiran anak\n\nSelamat pagi, apa saja syarat membuat akta kelahiran "
            "anak?\n[dokumen tanpa keterangan: surat-lahir.pdf]"
        )
        assert (ack.recipients, acknowledgement["Subject"]) == (
            [CITIZEN],
            f"Re: Syarat akta kelahiran anak [{ticket}]",
        )
        assert acknowledgement["In-Reply-To"] == asked["Message-ID"] == acknowledgement["References"]
        assert acknowledgement["Auto-Submitted"] == "auto-replied"  # no auto-responder answers it
        assert mail.count("INBOX") == 0 and mail.count(mailbox.DONE) == 1

        answer_the_admin_task(mail.settings)
        answered = mail.sent(2)[1]
        answer = message_from_bytes(answered.raw, policy=policy.default)
        assert ANSWER in str(answer.get_content()) and answer["Subject"] == acknowledgement["Subject"]
        assert answer["In-Reply-To"] == asked["Message-ID"] and answer["Auto-Submitted"] is None
        assert answered.dsn_asked and step_8_open(engine)  # open until the relay reports the delivery

        mail.deliver(delivery_report(answered, "delivered"))
        survey = mail.sent(3)[2]
        assert not step_8_open(engine)
        mail.deliver(reply_to(answered, "4"))
        thanks = mail.sent(4)[3]
        assert "4 dari 4" in str(message_from_bytes(thanks.raw, policy=policy.default).get_content())
    with engine.connect() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(inquiries)) == 1  # the reply opened no case
        assert db.scalar(sa.select(inquiries.c.rating)) == 4
    print(
        "\n"
        + transcript(
            [
                ("warga", asked.as_bytes()),
                ("kantor", ack.raw),
                ("kantor", answered.raw),
                ("kantor", survey.raw),
                ("warga", reply_to(answered, "4").as_bytes()),
                ("kantor", thanks.raw),
            ]
        )
    )


def test_a_bounce_of_our_answer_is_a_failed_delivery_that_leaves_step_8_open(
    mail: Mail, engine: Engine
) -> None:
    with (
        FakePlatforms() as fake,
        sending(mail.settings, engine, fake),
        InProcess("intake", mail.settings),
        InProcess("router", mail.settings),
    ):
        mail.deliver(question())
        mail.sent(1)
        answer_the_admin_task(mail.settings)
        answered = mail.sent(2)[1]
        mail.deliver(delivery_report(answered, "failed"))
        wait_for(lambda: mail.read("accepted") == 2 and mail.count("INBOX") == 0, what="the bounce read")
        failures = {"channel": "email"}
        assert mail.registry.get_sample_value("bamsos_gateway_delivery_failures_total", failures) == 1
    with engine.connect() as db:
        assert db.scalar(sa.select(gateway_sends.c.state).where(gateway_sends.c.kind == "reply")) == "failed"
    assert step_8_open(engine)
    assert len(mail.relay.received) == 2  # no survey after a bounce


def automatic(subject: str, **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = CITIZEN
    mail["To"] = OFFICE
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="warga.test")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content("Saya sedang cuti sampai 14 Desember.")
    return mail


def test_automatic_mail_is_never_answered_and_hostile_html_is_refused(mail: Mail, settings: Settings) -> None:
    for sent in (
        automatic("Balasan otomatis: Syarat KIA", Auto_Submitted="auto-replied"),
        automatic("Out of Office: Syarat KIA"),
        automatic("Buletin Desember", Precedence="bulk"),
        automatic("[warga-pku] Diskusi", List_Id="<warga-pku.lists.test>"),
    ):
        mail.deliver(sent)
    hostile = EmailMessage()
    hostile["From"], hostile["To"], hostile["Subject"] = CITIZEN, OFFICE, "Syarat KIA"
    hostile.set_content(
        '<p onmouseover="steal()">Syarat KIA?</p><script>fetch("//x")</script>', subtype="html"
    )
    mail.deliver(hostile)
    wait_for(lambda: mail.count("INBOX") == 0, what="every mail read")
    assert drain(settings.amqp_url, "bamsos.intake") == []
    assert (mail.read("automatic"), mail.read("refused"), mail.read("accepted")) == (4, 1, 0)
    assert (mail.count(mailbox.DONE), mail.count(mailbox.REFUSED)) == (4, 1)
