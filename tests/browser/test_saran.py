""" "Saran jawaban" on the case page, in a real browser: the templates and a past answer of the
office (masked, with its ticket and date, without the citizen's name), one click putting a
suggestion into the answer box and nothing sent until the officer sends it, and the suggestion
used counted when they do."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from shared.runtime import topology
from shared.runtime.storage import answer_suggestions, inquiries, make_engine
from tests.browser.conftest import RINA, Pipeline, log_in, screenshot
from tests.browser.test_console import take_next
from tests.helpers import Got, answered_case, drain, wait_for

pytestmark = pytest.mark.e2e

LOST_KTP = "KTP-el hilang atau rusak"


def test_an_officer_inserts_a_suggestion_edits_it_and_only_then_sends_it(
    page: Page, pipeline: Pipeline
) -> None:
    engine = make_engine(pipeline.settings.database_url)
    answered_case(
        engine,
        901,
        "ktp saya hilang waktu banjir, NIK 1471020304050006, gmn ngurusnya",
        "Silakan bawa KK dan surat kehilangan dari polisi ke kantor kami.",
        "ktp_el",
        datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
    )
    assert pipeline.console.suggester.past is not None
    pipeline.console.suggester.past.refresh(time.monotonic())  # as the console does every 30 s
    case = pipeline.inquire(topic="informasi", service="ktp_el", text="min ktp sy ilang, gmn ngurusnya?")
    log_in(page, RINA)
    take_next(page)

    suggestions = page.get_by_role("region", name="Saran jawaban")
    expect(suggestions.get_by_role("listitem").first).to_contain_text(LOST_KTP)
    past = suggestions.get_by_role("listitem").filter(has_text="Jawaban sebelumnya")
    expect(past).to_contain_text("tiket A-0901, 30-11-2026")
    expect(past).to_contain_text("1471••••••••0006")
    expect(suggestions).not_to_contain_text("1471020304050006")
    expect(suggestions).not_to_contain_text("Siti")
    screenshot(page, "saran-jawaban", suggestions)

    suggestions.get_by_role("button", name=f"Pakai saran 1: {LOST_KTP}").click()
    answer = page.get_by_label("Teks jawaban untuk pemohon")
    expect(answer).to_have_value(re.compile(r"KTP-el yang hilang"))
    expect(answer).to_be_focused()
    # Nothing went to the citizen on the click: the case has no reply yet.
    with engine.connect() as db:
        replied = db.scalar(
            sa.select(inquiries.c.replied_at).where(inquiries.c.inquiry_id == case.inquiry_id)
        )
    assert replied is None

    sent = "Halo Kak. " + answer.input_value().strip()
    answer.fill(sent)
    page.get_by_role("button", name="Kirim jawaban").click()
    page.wait_for_url("**/antrean/admin")
    replies: list[Got] = []

    def the_reply() -> list[Got]:
        replies.extend(
            g
            for g in drain(pipeline.settings.amqp_url, topology.REPLIES_QUEUE)
            if g.routing_key.startswith("reply.")
        )
        return replies

    [reply] = wait_for(the_reply, what="the reply on bamsos.outbound")
    assert reply.json()["text"].startswith(sent)
    with engine.connect() as db:
        used = db.execute(
            sa.select(answer_suggestions).where(answer_suggestions.c.task_id == case.task_id)
        ).one()
    assert (used.source, used.template, used.edited) == ("templat", "ktp_el/ktp-el-hilang-atau-rusak", True)
    labels = {"template": "ktp_el/ktp-el-hilang-atau-rusak", "edited": "ya"}
    assert pipeline.console.metrics.registry.get_sample_value("bamsos_answer_suggestions_total", labels) == 1
    engine.dispose()
