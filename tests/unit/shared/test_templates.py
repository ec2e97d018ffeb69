"""Every text BAMSOS may send a citizen, read from the files the office edits: the answer templates
(`shared/staff/answers.yaml`) and the notices (`shared/sop/notices.yaml`). Each cites its regulation,
names only fields it is given, fits the channels, and speaks in one voice."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest
import yaml

from services.gateway import meta, telegram, whatsapp
from shared import staff
from shared.sop.citizen import (
    COMMON,
    DEFAULT_TEMPLATES,
    EXTRA,
    FIELDS,
    PRIVACY,
    SAMPLE,
    load_templates,
)
from shared.sop.contracts import NoticeKind

ANSWERS = staff.__path__[0] + "/answers.yaml"
# The reply carries the ticket after the answer, within the contract's 4000 characters.
ANSWER_LIMIT = 3900
# A notice goes out as one message on every channel: the smallest platform limit (Instagram's).
NOTICE_LIMIT = min(meta.INSTAGRAM_LIMIT, meta.LIMIT, telegram.LIMIT, whatsapp.LIMIT)
# One voice (the SOP's "bahasa yang sopan dan mudah dimengerti"): "Bapak/Ibu", never "Anda"; the
# office named from the org chart, never a city written in; section heads in full.
NOT_OUR_VOICE = re.compile(r"\b(Anda|Pekanbaru|kasi|Turut berduka)\b")


def answer_templates() -> list[tuple[str, dict[str, Any]]]:
    with open(ANSWERS, encoding="utf-8") as f:
        book = yaml.safe_load(f)
    found = [(f"umum[{n}]", a) for n, a in enumerate(book.get("umum", []))]
    for service, answers in book.get("layanan", {}).items():
        found += [(f"{service}[{n}]", a) for n, a in enumerate(answers)]
    return found


def notice_texts() -> dict[str, str]:
    texts = yaml.safe_load(DEFAULT_TEMPLATES.read_text(encoding="utf-8"))
    assert isinstance(texts, dict)
    return texts


def fields_named(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize(
    ("where", "answer"), answer_templates(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_an_answer_cites_its_regulation_names_no_field_and_fits_a_reply(
    where: str, answer: dict[str, Any]
) -> None:
    dasar = str(answer.get("dasar") or "").strip()
    assert 0 < len(dasar) <= 400, f"{where}: dasar empty or over the console's 400 characters"
    text = str(answer["teks"]).strip()
    assert "{" not in text and "}" not in text, f"{where}: answers are sent as written, no fields"
    assert 0 < len(text) <= ANSWER_LIMIT, f"{where}: {len(text)} characters"
    assert len(str(answer["judul"])) <= 80
    assert not NOT_OUR_VOICE.search(text), f"{where}: {NOT_OUR_VOICE.search(text)}"


def test_every_service_has_an_answer_and_no_answer_lacks_its_regulation() -> None:
    where = {w.split("[")[0] for w, _ in answer_templates()}
    assert {"umum", "ktp_el", "kk", "kia", "akta_kelahiran", "akta_kematian"} <= where
    assert {"akta_perkawinan", "akta_perceraian", "pindah_datang", "lainnya"} <= where


@pytest.mark.parametrize("kind", sorted(notice_texts()))
def test_a_notice_names_only_its_fields_and_fits_one_message_on_every_channel(kind: str) -> None:
    text = notice_texts()[kind]
    allowed = (FIELDS[NoticeKind(kind)] if kind in set(NoticeKind) else EXTRA[kind]) | COMMON
    assert fields_named(text) <= allowed, f"'{kind}' names {fields_named(text) - allowed}"
    rendered = text.format(**SAMPLE).strip()
    if kind == NoticeKind.acknowledged:  # the first one carries the privacy notice
        rendered += "\n\n" + notice_texts()[PRIVACY].format(**SAMPLE).strip()
    assert 0 < len(rendered) <= NOTICE_LIMIT, f"'{kind}': {len(rendered)} characters"
    assert not NOT_OUR_VOICE.search(text), f"'{kind}': {NOT_OUR_VOICE.search(text)}"


def test_the_shipped_notices_load_as_the_services_load_them() -> None:
    assert set(load_templates().texts) == set(notice_texts())
