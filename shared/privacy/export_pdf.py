"""The data subject's copy as a PDF a person can read: each case with its question, answer, rating
and control card, then the messages sent, the gateway's sends and the dead letters, in WIB."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from shared.privacy.subject import Holdings

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=13)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10, leftIndent=12)
TITLE = ParagraphStyle("title", parent=BODY, fontName="Helvetica-Bold", fontSize=13, leading=17)
HEADING = ParagraphStyle("heading", parent=BODY, fontName="Helvetica-Bold", spaceBefore=10, spaceAfter=4)

CASE_FIELDS = [
    ("ticket", "Nomor tiket"),
    ("received_at", "Diterima"),
    ("name", "Nama"),
    ("text", "Pertanyaan"),
    ("service", "Layanan"),
    ("topic", "Jenis"),
    ("media_kind", "Lampiran"),
    ("media_id", "Id lampiran di platform"),
    ("reply_text", "Jawaban"),
    ("replied_at", "Dijawab"),
    ("rating", "Penilaian (1-5)"),
]
NOTICE_KINDS = {
    "acknowledged": "tanda terima",
    "status": "status kasus",
    "survey": "survei kepuasan",
    "thanks": "terima kasih",
    "unknown_ticket": "tiket tidak dikenal",
}


def write_pdf(held: Holdings, out: Path, *, reference: str, made_at: datetime, zone: ZoneInfo) -> None:
    def shown(value: object) -> str:
        if isinstance(value, datetime):
            return value.astimezone(zone).strftime("%d-%m-%Y %H:%M WIB")
        return "-" if value is None else str(value)

    def line(label: str, value: object, style: ParagraphStyle = BODY) -> Paragraph:
        return Paragraph(f"<b>{escape(label)}:</b> {escape(shown(value))}", style)

    story: list[Any] = [
        Paragraph("Salinan data pribadi yang disimpan BAMSOS", TITLE),
        line("Kanal", held.account.channel),
        line("Akun", held.account.account),
        line("Nomor permohonan", reference),
        line("Dibuat", made_at),
        Paragraph(f"Pertanyaan ({len(held.cases)})", HEADING),
    ]
    for n, case in enumerate(held.cases, 1):
        story.append(Paragraph(f"<b>{n}.</b>", BODY))
        story += [line(label, case[key], SMALL) for key, label in CASE_FIELDS]
        for notice in case["pemberitahuan"]:
            story.append(
                line(
                    "Pemberitahuan",
                    f"{NOTICE_KINDS.get(notice['kind'], notice['kind'])}, {shown(notice['created_at'])}",
                    SMALL,
                )
            )
        for card in case["kartu_kendali"]:
            who = f"{card['from_role']} -> {card['to_role']}, petugas {shown(card['officer'])}"
            step = f"langkah {card['step']}: {who}"
            story.append(
                line(
                    "Kartu kendali",
                    f"{step}, {shown(card['handed_at'])} s.d. {shown(card['done_at'])}",
                    SMALL,
                )
            )
        story.append(Spacer(1, 6))
    story.append(Paragraph(f"Pesan yang dikirim sistem ({len(held.outbox)})", HEADING))
    for row in held.outbox:
        body = row["body"]
        text = body.get("text") or body.get("summary") if isinstance(body, dict) else None
        story.append(line(str(row["routing_key"]), f"{shown(row['created_at'])}: {shown(text)}", SMALL))
    story.append(Paragraph(f"Kiriman ke platform chat ({len(held.gateway_sends)})", HEADING))
    for send in held.gateway_sends:
        story.append(line(send["kind"], f"{send['state']}, {shown(send['sent_at'])}", SMALL))
    story.append(Paragraph(f"Pesan yang gagal diproses (dead letter) ({len(held.dead_letters)})", HEADING))
    for letter in held.dead_letters:
        story.append(line(letter["alasan"], _readable(letter["isi"]), SMALL))
    doc = SimpleDocTemplate(
        str(out), pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, title="Salinan data pribadi"
    )
    doc.build(story)


def _readable(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    return ", ".join(f"{k}: {v}" for k, v in data.items() if k != "schema")
