"""What a mail read from the office's mailbox is, as plain functions: the citizen's own words (no
quoted history, no signature), HTML as text, attachments as placeholders, a reply recognised by its
ticket, automatic mail told, hostile HTML refused, a delivery report read, and our answer's mail."""

from __future__ import annotations

from email import message_from_string, policy
from email.message import EmailMessage

import pytest

from services.gateway import mail
from services.gateway.events import Incoming, Status
from services.gateway.mailtext import html_to_text, trim

OFFICE = "dukcapil@kantor.test"


def a_mail(
    body: str = "Syarat KIA apa saja?", subject: str = "Tanya KIA", html: str | None = None, **headers: str
) -> bytes:
    m = EmailMessage()
    m["From"] = "Budi <budi@warga.test>"
    m["To"] = OFFICE
    m["Subject"] = subject
    m["Message-ID"] = "<q1@warga.test>"
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    if html is not None and not body:
        m.set_content(html, subtype="html")
    else:
        m.set_content(body)
        if html is not None:
            m.add_alternative(html, subtype="html")
    return m.as_bytes()


def incoming(raw: bytes) -> Incoming:
    event = mail.read(raw, OFFICE)
    assert isinstance(event, Incoming), event
    return event


def test_a_question_is_its_subject_and_its_plain_text_from_its_sender() -> None:
    event = incoming(a_mail("Syarat KIA apa saja?\n\n-- \nBudi\n0812", html="<p>ignored</p>"))
    assert (event.id, event.account, event.name) == ("<q1@warga.test>", "budi@warga.test", "Budi")
    assert event.text == "Perihal: Tanya KIA\n\nSyarat KIA apa saja?"


@pytest.mark.parametrize(
    "history",
    [
        "On Mon, 7 Dec 2026 at 09:00, Dukcapil <dukcapil@kantor.test> wrote:\n> jawaban",
        "Pada Sen, 7 Des 2026 pukul 09.00 Dukcapil menulis:\n> jawaban",
        "-----Original Message-----\nFrom: Dukcapil\n",
        "> jawaban lama",
        "Dikirim dari iPhone saya",
    ],
)
def test_quoted_history_and_signatures_are_trimmed(history: str) -> None:
    assert (
        trim(f"Terima kasih, satu lagi: KK hilang?\n\n{history}\nsisa")
        == "Terima kasih, satu lagi: KK hilang?"
    )


def test_html_without_a_plain_part_is_read_as_text_without_styles() -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>x</title></head>"
        "<body><p>Syarat&nbsp;KK</p><div>baru?</div></body></html>"
    )
    assert html_to_text(html) == "Syarat KK\n\nbaru?"  # a blank line between blocks
    assert incoming(a_mail("", html=html)).text == "Perihal: Tanya KIA\n\nSyarat KK\n\nbaru?"


@pytest.mark.parametrize(
    "html",
    [
        "<script>x()</script><p>hai</p>",
        '<p onclick="x()">hai</p>',
        '<a href="javascript:x()">hai</a>',
        "<iframe src=x></iframe>",
    ],
)
def test_hostile_html_is_refused(html: str) -> None:
    assert mail.read(a_mail("", html=html), OFFICE) == mail.Refused("hostile_html")


def test_an_attachment_is_a_placeholder_and_a_mail_of_one_is_its_kind() -> None:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "budi@warga.test", OFFICE, "KK saya"
    m.set_content("")
    m.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="kk.png")
    event = incoming(m.as_bytes())
    assert event.text == "Perihal: KK saya\n\n[gambar tanpa keterangan: kk.png]"
    assert event.media_kind == "image"


def test_a_reply_naming_a_ticket_carries_only_what_the_citizen_added() -> None:
    raw = a_mail(
        "4\n\nPada Sen, 7 Des 2026 Dukcapil menulis:\n> Bagaimana pelayanan kami?",
        subject="Re: Tanya KIA [BMS-261207-0001]",
    )
    assert incoming(raw).text == "4"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "auto_submitted"),
        ({"Precedence": "bulk"}, "precedence"),
        ({"List_Id": "<warga.lists.test>"}, "list"),
        ({"X_Autoreply": "yes"}, "auto_reply"),
        ({"Subject": "Out of Office: Tanya KIA"}, "out_of_office"),
        ({"Return_Path": "<>"}, "mailer_daemon"),
    ],
)
def test_automatic_mail_is_told(headers: dict[str, str], reason: str) -> None:
    subject = headers.pop("Subject", "Tanya KIA")
    assert mail.read(a_mail(subject=subject, **headers), OFFICE) == mail.Automatic(reason)


def test_a_delivery_report_names_our_mail_and_its_fate() -> None:
    report = (
        "From: MAILER-DAEMON@kantor.test\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nGagal.\n--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; kantor.test\n\n"
        "Final-Recipient: rfc822; budi@warga.test\nAction: failed\nStatus: 5.1.1\n"
        "--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <ours@kantor.test>\n--b--\n"
    )
    event = mail.read(report.encode(), OFFICE)
    assert isinstance(event, Status)
    assert (event.state, event.message_id, event.channel) == ("failed", "<ours@kantor.test>", "email")


def test_our_answer_is_in_the_questions_thread_with_the_ticket_in_the_subject() -> None:
    thread = mail.thread_of("<q1@warga.test>", "Perihal: Re: Tanya KIA\n\nSyarat KIA apa saja?")
    ours = mail.answer(
        OFFICE, "budi@warga.test", "x " * 800, "BMS-261207-0001", thread, key="r1", automatic=False
    )
    sent = message_from_string(mail.mail_request(ours).body["raw"], policy=policy.default)
    assert sent["Subject"] == "Re: Tanya KIA [BMS-261207-0001]"
    assert sent["In-Reply-To"] == sent["References"] == "<q1@warga.test>"
    assert sent["Auto-Submitted"] is None
    assert max(len(line) for line in mail.mail_request(ours).body["raw"].split("\r\n")) <= 78
