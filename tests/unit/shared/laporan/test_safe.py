"""Citizen text can't run in a spreadsheet, and a masked register doesn't say who asked."""

from __future__ import annotations

import pytest

from shared.laporan.safe import mask_account, mask_name, mask_text, neutralise


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://x","klik")',
        "+62 812 3456",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "  =cmd|' /C calc'!A0",
        "\uff1d1+1",
    ],
)
def test_text_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Bagaimana cara mengurus KTP?", "a=b", "KK-el", "budi@contoh.id", ""])
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert neutralise(text) == text


def test_an_account_keeps_two_letters_to_tell_cases_apart() -> None:
    assert mask_account("@budi.santoso88") == "bu****"
    assert mask_account("ab") == "****"


def test_a_name_keeps_initials() -> None:
    assert mask_name("Budi  Santoso") == "B*** S***"


def test_the_question_loses_numbers_addresses_handles_and_the_askers_name() -> None:
    text = "Saya Budi Santoso, NIK 1471 0123 4567 8901, HP 0812-3456-7890, budi@contoh.id, ig @budi88. Hilang"
    masked = mask_text(text, name="Budi Santoso", account="budi88")
    assert masked == f"Saya B*** S***, NIK {'*' * 19}, HP {'*' * 14}, [surel], ig @****. Hilang"


def test_a_short_number_in_the_question_stays() -> None:
    assert mask_text("KTP saya hilang 2 kali tahun 2024", name=None, account="x") == (
        "KTP saya hilang 2 kali tahun ****"
    )
