"""What every platform shares: a long reply cut into messages between words, media kept as a
caption or a placeholder, platform times read as UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.gateway import meta, telegram, whatsapp
from services.gateway.events import from_unix, split_text, with_media
from shared.sop.contracts import TEXT_LIMIT, MediaKind

# Words as str.split() sees them: no whitespace inside (nor control characters or surrogates).
words = st.text(
    alphabet=st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=15
)
separators = st.sampled_from([" ", "\n", "  ", " \n ", "\r\n", "\n\n"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Up to ~10,000 characters of words between spaces and line breaks."""
    parts = draw(st.lists(words, min_size=1, max_size=700))
    return "".join(p + draw(separators) for p in parts).strip()


@settings(max_examples=150, deadline=None, database=None)
@given(text=texts(), limit=st.sampled_from([whatsapp.LIMIT, meta.LIMIT, 15, 40]))
def test_a_long_text_is_cut_into_parts_within_the_limit_never_inside_a_word(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert " ".join(parts).split() == text.split(), "the same words in the same order, none cut"


def test_the_platform_limits_are_the_documented_ones() -> None:
    assert (whatsapp.LIMIT, telegram.LIMIT, meta.LIMIT) == (4096, 4096, 2000)


def test_a_text_within_the_limit_is_one_part() -> None:
    assert split_text("Syaratnya KK dan akta kelahiran.", 2000) == ["Syaratnya KK dan akta kelahiran."]
    exact = ("kata " * 400).strip()[:2000].strip()
    assert split_text(exact, 2000) == [exact]


def test_a_text_just_over_the_limit_is_cut_at_the_last_space_before_it() -> None:
    text = "a" * 1995 + " " + "b" * 10
    assert split_text(text, 2000) == ["a" * 1995, "b" * 10]


def test_a_text_is_cut_at_a_line_break_too() -> None:
    text = "a" * 1990 + "\r\n" + "b" * 20
    assert split_text(text, 2000) == ["a" * 1990, "b" * 20]


def test_a_single_word_longer_than_the_limit_is_cut_at_the_limit() -> None:
    assert split_text("x" * 5000, 4096) == ["x" * 4096, "x" * 904]
    assert split_text("ok " + "y" * 2500, 2000) == ["ok", "y" * 2000, "y" * 500]


def test_blank_text_has_no_parts() -> None:
    assert split_text("  \n ", 2000) == []


def test_media_with_a_caption_is_the_caption() -> None:
    assert with_media("  foto KTP  ", MediaKind.image) == "foto KTP"


@pytest.mark.parametrize(
    ("kind", "placeholder"),
    [
        (MediaKind.image, "[gambar tanpa keterangan]"),
        (MediaKind.video, "[video tanpa keterangan]"),
        (MediaKind.document, "[dokumen tanpa keterangan]"),
        (MediaKind.audio, "[pesan suara]"),
        (MediaKind.sticker, "[stiker]"),
        (MediaKind.location, "[lokasi]"),
        (MediaKind.contact, "[kontak]"),
        (MediaKind.other, "[pesan jenis lain]"),
    ],
)
def test_media_without_a_caption_is_its_indonesian_placeholder(kind: MediaKind, placeholder: str) -> None:
    assert with_media(None, kind) == placeholder
    assert with_media("   ", kind) == placeholder


def test_a_placeholder_names_a_detail_such_as_the_file_name() -> None:
    assert with_media(None, MediaKind.document, "KK.pdf") == "[dokumen tanpa keterangan: KK.pdf]"


def test_a_caption_or_file_name_never_makes_the_text_longer_than_the_contract_allows() -> None:
    assert len(with_media("k" * 9000, MediaKind.image)) == TEXT_LIMIT
    assert len(with_media(None, MediaKind.document, "f" * 9000)) == TEXT_LIMIT


def test_platform_seconds_are_an_aware_utc_time() -> None:
    assert from_unix(1764486000) == datetime(2025, 11, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("seconds", [1e20, -1e20, 1e300, float("inf"), float("nan")])
def test_a_time_outside_the_calendar_is_a_value_error(seconds: float) -> None:
    with pytest.raises(ValueError):
        from_unix(seconds)
