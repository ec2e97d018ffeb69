"""What reads as a NIK, KK, phone number or e-mail address is masked; everything else stays."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.privacy.masking import BULLET, mask_personal

# Text around a number: letters, spaces and punctuation, no digits (they would lengthen the number).
words = st.text(alphabet=st.sampled_from("abcdefghij KLMNOPQRS,:;!?()"), max_size=30)
sixteen = st.text(alphabet="0123456789", min_size=16, max_size=16)
separator = st.sampled_from(["", " ", "-", "."])


def grouped(digits: str, sep: str, size: int = 4) -> str:
    return sep.join(digits[i : i + size] for i in range(0, len(digits), size))


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("NIK saya 3271046504870004", "NIK saya 3271••••••••0004"),
        ("KK: 3271 0465 0487 0004.", "KK: 3271••••••••0004."),
        ("no kk 3271-0465-0487-0004, tolong", "no kk 3271••••••••0004, tolong"),
        ("hp 081234567890", "hp 0812•••••890"),
        ("WA 0812-9876-5432 ya", "WA 0812•••••432 ya"),
        ("hubungi +62 812 3456 7890", "hubungi +6281••••••890"),
        ("6285712345678", "6285••••••678"),
        ("kantor +62 21 5551234", "kantor +6221••••234"),
        ("surel budi.santoso@gmail.com.", "surel b•••@gmail.com."),
    ],
)
def test_numbers_and_addresses_in_the_forms_citizens_write_are_masked(text: str, masked: str) -> None:
    assert mask_personal(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "nomor registrasi 1471-2026-000123",  # 14 digits: not a NIK
        "KTP hilang tahun 2024, antrean 08123",  # a year, a short number
        "327104650487000412",  # 18 digits: not a NIK
        "Bagaimana cara mengurus akta kelahiran?",
        "@budi88 di instagram",
    ],
)
def test_other_numbers_and_text_are_left_as_they_are(text: str) -> None:
    assert mask_personal(text) == text


@given(before=words, nik=sixteen, sep=separator, after=words)
def test_a_nik_however_grouped_keeps_only_its_first_and_last_four_digits(
    before: str, nik: str, sep: str, after: str
) -> None:
    masked = mask_personal(f"{before} {grouped(nik, sep)} {after}")
    assert masked == f"{before} {nik[:4]}{BULLET * 8}{nik[-4:]} {after}"


@given(
    before=words,
    prefix=st.sampled_from(["08", "+628", "628", "+62 8"]),
    rest=st.text(alphabet="0123456789", min_size=8, max_size=11),
    sep=separator,
    after=words,
)
def test_a_mobile_number_in_any_indonesian_form_loses_its_middle(
    before: str, prefix: str, rest: str, sep: str, after: str
) -> None:
    number = prefix + grouped(rest, sep, 3)
    masked = mask_personal(f"{before} {number} {after}")
    digits = re.sub(r"\D", "", number)
    plus = "+" if number.startswith("+") else ""
    assert masked == f"{before} {plus}{digits[:4]}{BULLET * (len(digits) - 7)}{digits[-3:]} {after}"


@given(
    local=st.from_regex(r"[a-z][a-z0-9._+-]{0,15}", fullmatch=True),
    domain=st.sampled_from(["gmail.com", "contoh.go.id", "yahoo.co.id"]),
    before=words,
)
def test_an_e_mail_address_keeps_its_first_letter_and_its_domain(
    local: str, domain: str, before: str
) -> None:
    masked = mask_personal(f"{before} {local}@{domain}")
    assert masked == f"{before} {local[0]}{BULLET * 3}@{domain}"


@given(st.text(max_size=80))
def test_masking_twice_is_masking_once(text: str) -> None:
    once = mask_personal(text)
    assert mask_personal(once) == once


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",), blacklist_characters="@"), max_size=80))
def test_text_without_digits_or_an_at_sign_is_untouched(text: str) -> None:
    assert mask_personal(text) == text
