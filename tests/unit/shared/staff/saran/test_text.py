"""Chat text to search terms, and what bad input gets: no error, the general templates."""

from __future__ import annotations

import pytest

from services.console.answers import as_templates, load_answers
from shared.staff.saran import Suggester
from shared.staff.saran.text import stem, terms


def test_chat_spelling_and_affixes_become_the_same_terms_as_the_templates_words() -> None:
    assert terms("gmn sy bikin ktp el, syarat2nya apa aja min 🙏") == ["ktpel", "syarat"]
    assert terms("akte kelahiran") == terms("Akta Kelahiran") == ["akta", "lahir"]
    assert terms("KK sy ilang") == ["kk", "hilang"]
    assert terms("e-KTP") == terms("KTP-el") == ["ktpel"]


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("persyaratannya", "syarat"),
        ("kehilangan", "hilang"),
        ("perekaman", "rekam"),
        ("pengambilan", "ambil"),
        ("bertanya", "tanya"),
        ("dipercepat", "cepat"),
        ("perkawinan", "kawin"),
        ("menikah", "kawin"),
    ],
)
def test_a_word_loses_its_affixes(word: str, root: str) -> None:
    assert stem(word) == root


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester(as_templates(load_answers()))


@pytest.mark.parametrize("text", ["", "   ", "😭🙏😭", "3271046504870004 0812345678", "halo min"])
def test_a_text_with_nothing_to_search_gets_the_general_template_not_an_error(
    suggester: Suggester, text: str
) -> None:
    found = suggester.suggest(text)
    assert [(s.layanan, s.skor) for s in found] == [("lainnya", 0.0)]


def test_a_10000_character_question_is_answered_quickly_and_without_error(suggester: Suggester) -> None:
    found = suggester.suggest("ktp saya hilang gmn ngurusnya " * 340)
    assert found[0].judul == "KTP-el hilang atau rusak"


def test_the_case_s_service_decides_between_two_services_documents(suggester: Suggester) -> None:
    question = "sy mau urus yg hilang, syaratnya apa"
    assert suggester.suggest(question, service="kk")[0].layanan == "kk"
    assert suggester.suggest(question, service="ktp_el")[0].layanan == "ktp_el"
