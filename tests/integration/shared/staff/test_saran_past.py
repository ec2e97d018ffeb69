"""The office's past answers in the suggestions, on the real database: found with their ticket and
date and masked, a newly sent answer found after a refresh, everything found again after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.console.answers import as_templates, load_answers
from shared.runtime.storage import make_engine
from shared.staff.saran import PastAnswers, Suggester
from shared.staff.saran.past import REFRESH_SECONDS
from tests.helpers import answered_case

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def test_a_similar_past_answer_is_suggested_masked_with_its_ticket_and_date_and_no_name(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    answered_case(
        engine,
        1,
        "KTP saya hilang, NIK 3271046504870004, hp 081234567890 gmn ngurusnya",
        "Silakan bawa KK dan surat kehilangan dari polisi. Kami hubungi di 081234567890.",
        "ktp_el",
        AT,
    )
    answered_case(engine, 2, "syarat akta kematian apa", "Bawa surat kematian dari RS.", "akta_kematian", AT)
    suggester = Suggester(as_templates(load_answers()))
    suggester.past = PastAnswers(engine, suggester.terms)
    suggester.past.refresh(now=0.0)

    past = [s for s in suggester.suggest("ktp sy ilang min") if s.sumber == "jawaban"]

    assert [s.tiket for s in past] == ["A-01"]
    shown = past[0].as_json()
    assert shown["tanggal"] == "2026-11-30"
    assert "3271••••••••0004" in str(shown["pertanyaan"]) and "0812•••••890" in str(shown["teks"])
    assert not any(secret in str(shown) for secret in ("3271046504870004", "081234567890", "Siti", "6281234"))


def test_an_answer_sent_later_is_found_after_a_refresh_and_after_a_restart(database_url: str) -> None:
    engine = make_engine(database_url)
    answered_case(engine, 1, "syarat kia apa", "Bawa akta kelahiran anak.", "kia", AT)
    suggester = Suggester(as_templates(load_answers()))
    past = PastAnswers(engine, suggester.terms)
    past.refresh(now=0.0)
    # Committed late: its replied_at is a minute before the last one read.
    answered_case(
        engine,
        2,
        "cara pindah keluar kota",
        "Urus SKP di kantor kami.",
        "pindah_datang",
        AT - timedelta(minutes=1),
    )

    past.refresh_if_due(now=REFRESH_SECONDS / 2)
    assert len(past) == 1  # not due yet
    past.refresh_if_due(now=REFRESH_SECONDS)
    assert [s.tiket for s in past.search(suggester.terms("mau pindah ke luar kota"), None, None, 3)] == [
        "A-02"
    ]

    restarted = PastAnswers(engine, suggester.terms)
    restarted.refresh(now=0.0)
    assert len(restarted) == 2
    assert restarted.refresh(now=1.0) == 0  # the overlap reread adds nothing twice
