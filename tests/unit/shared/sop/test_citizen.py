"""The citizen's side as plain functions: what is a status request, what is a rating, the SKM index
and grade, and the notices' templates checked at start."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.runtime.errors import ConfigError
from shared.sop.citizen import (
    ANSWERED,
    DEFAULT_TEMPLATES,
    FIELDS,
    LEGACY_SCALE,
    LEGACY_WORDS,
    PRIVACY,
    SCALE_WORDS,
    SURVEY_SCALE,
    load_templates,
    points,
    rating,
    skm_grade,
    skm_index,
    status_request,
    survey_choices,
)
from shared.sop.contracts import NoticeKind

TICKET = "BMS-261130-0042"

# --- status requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "cek status BMS-261130-0042",
        "Cek Status bms 261130 0042?",
        "status BMS2611300042",
        "cek tiket BMS-261130-0042 min",
        "BMS-261130-0042",
        "  BMS-261130-0042 ?",
        "tolong cek BMS_261130_0042 sudah sampai mana",
    ],
)
def test_a_status_request_names_its_ticket_written_the_standard_way(text: str) -> None:
    assert status_request(text) == TICKET


def test_a_ticket_of_five_digits_is_a_status_request_too() -> None:
    assert status_request("cek status BMS-261130-10000") == "BMS-261130-10000"


@pytest.mark.parametrize(
    "text",
    [
        # A long question that merely mentions its ticket is a question.
        "Min, saya sudah kirim pertanyaan dengan tiket BMS-261130-0042 kemarin, tapi syarat KIA untuk "
        "anak yang lahir di luar kota itu apa saja ya? Mohon dibantu, terima kasih.",
        # A ticket with a question and no word asking for the status is a question.
        "BMS-261130-0042 syarat akta kelahiran apa",
        # Normal questions.
        "Min, syarat bikin KIA apa aja?",
        "syarat KK apa?",
        "cek status",
        "status permohonan KTP saya bagaimana?",
        "BMS-2611-0042",
    ],
)
def test_anything_else_is_not_a_status_request(text: str) -> None:
    assert status_request(text) is None


# --- ratings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("4", 4),
        (" 3. ", 3),
        ("3/4", 3),
        ("3 dari 4", 3),
        ("4 bintang", 4),
        ("1", 1),
        ("⭐⭐⭐⭐", 4),
        ("★★", 2),
        ("⭐️⭐️⭐️", 3),  # the emoji with its variation selector, as phones send it
        ("tidak baik", 1),
        ("Kurang baik", 2),
        ("baik", 3),
        ("Sangat baik!", 4),
        ("puas", 3),
        ("Sangat puas!", 4),
        ("kurang puas", 2),
        ("Tidak  puas", 1),
    ],
)
def test_a_rating_is_a_message_that_is_only_a_score_on_the_4_point_scale(text: str, score: int) -> None:
    assert rating(text) == score


@pytest.mark.parametrize(
    "text",
    [
        "5",
        "0",
        "45",
        "4 orang",
        "4/5",
        "5 dari 5",
        "syarat KK apa?",
        "puas, tapi syarat KK apa?",
        "",
        "⭐⭐⭐⭐⭐",
        "cukup",
    ],
)
def test_anything_else_is_not_a_rating(text: str) -> None:
    assert rating(text) is None


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5),
        ("4/5", 4),
        ("4 dari 5", 4),
        ("★★★★★", 5),
        ("cukup", 3),
        ("baik", 4),
        ("sangat baik", 5),
        ("puas", 4),
    ],
)
def test_an_answer_to_a_survey_sent_on_the_old_1_to_5_scale_is_read_on_that_scale(
    text: str, score: int
) -> None:
    assert rating(text, LEGACY_SCALE) == score


def test_every_word_the_survey_offers_is_a_rating_of_its_own_score() -> None:
    assert {word: rating(word) for word in SCALE_WORDS.values()} == {w: s for s, w in SCALE_WORDS.items()}
    assert all(word in survey_choices() for word in SCALE_WORDS.values())


def test_an_old_rating_counts_by_its_words_on_the_4_point_scale() -> None:
    """Tidak baik, kurang baik, baik and sangat baik keep their meaning; cukup lies between."""
    assert {LEGACY_WORDS[s]: points(s, LEGACY_SCALE) for s in LEGACY_WORDS} == {
        "tidak baik": 1,
        "kurang baik": 2,
        "cukup": 2.5,
        "baik": 3,
        "sangat baik": 4,
    }
    assert points(3, SURVEY_SCALE) == 3


# --- the SKM index and its grade --------------------------------------------------------------


def test_the_index_is_the_mean_times_25_from_25_to_100() -> None:
    assert (skm_index(1), skm_index(4)) == (25, 100)


@pytest.mark.parametrize(
    ("index", "grade"),
    [
        (100.0, ("A", "Sangat Baik")),
        (88.31, ("A", "Sangat Baik")),
        (88.30, ("B", "Baik")),
        (76.61, ("B", "Baik")),
        (76.60, ("C", "Kurang Baik")),
        (65.00, ("C", "Kurang Baik")),
        (64.99, ("D", "Tidak Baik")),
        (25.0, ("D", "Tidak Baik")),
    ],
)
def test_the_grade_follows_the_permenpanrb_bounds(index: float, grade: tuple[str, str]) -> None:
    assert skm_grade(index) == grade


def test_all_baik_is_75_grade_c_and_all_sangat_baik_is_100_grade_a_as_the_regulation_gives() -> None:
    assert (skm_index(3), skm_grade(skm_index(3))[0]) == (75, "C")
    assert skm_grade(skm_index(4))[0] == "A"


# --- the notices' templates -------------------------------------------------------------------


def shipped() -> dict[str, str]:
    texts = yaml.safe_load(DEFAULT_TEMPLATES.read_text(encoding="utf-8"))
    assert isinstance(texts, dict)
    return texts


def written(tmp_path: Path, texts: dict[str, object]) -> Path:
    path = tmp_path / "notices.yaml"
    path.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as refused:
        load_templates(path)
    return str(refused.value)


def test_the_shipped_templates_load_with_a_text_for_every_notice() -> None:
    templates = load_templates()
    assert set(templates.texts) == {kind.value for kind in NoticeKind} | {ANSWERED, PRIVACY}


def test_the_shipped_templates_render_with_their_fields() -> None:
    templates = load_templates()
    acknowledgement = templates.render(NoticeKind.acknowledged, ticket=TICKET, standard_minutes=5)
    assert f"nomor tiket {TICKET}" in acknowledgement and f'"cek status {TICKET}"' in acknowledgement
    thanks = templates.render(NoticeKind.thanks, ticket=TICKET, rating=4, scale=4, rating_word="sangat baik")
    assert "4 dari 4, sangat baik" in thanks and TICKET in thanks
    answered = templates.render(ANSWERED, ticket=TICKET, answered_at="30 November 2026 pukul 09.05 WIB")
    assert "sudah kami jawab pada 30 November 2026 pukul 09.05 WIB" in answered
    survey = templates.render(NoticeKind.survey, ticket=TICKET, choices=survey_choices())
    assert "1 = tidak baik, 2 = kurang baik, 3 = baik, 4 = sangat baik" in survey


def test_the_office_s_name_retention_and_contact_fill_the_privacy_notice() -> None:
    templates = load_templates().with_common(
        kantor="Disdukcapil Kabupaten Kampar", retention_days=180, contact="pdp@disdukcapil.example"
    )
    privacy = templates.render(PRIVACY)
    assert all(
        part in privacy for part in ("Disdukcapil Kabupaten Kampar", "180 hari", "pdp@disdukcapil.example")
    )
    assert "KTP-el" in privacy and "NIK" in privacy and "komentar publik" in privacy


def test_loading_the_default_file_by_name_gives_the_same_texts() -> None:
    assert load_templates(DEFAULT_TEMPLATES) == load_templates()


def test_an_offices_own_wording_is_used(tmp_path: Path) -> None:
    texts = shipped() | {"thanks": "Matur nuwun, {rating}/5 untuk {ticket}."}
    templates = load_templates(written(tmp_path, texts))
    assert templates.render(NoticeKind.thanks, ticket=TICKET, rating=5) == f"Matur nuwun, 5/5 untuk {TICKET}."


def test_a_template_naming_a_field_it_may_not_use_is_refused(tmp_path: Path) -> None:
    texts = shipped() | {"unknown_ticket": "Tiket {ticket} milik {name} tidak ditemukan."}
    message = refusal(written(tmp_path, texts))
    assert "'unknown_ticket' names name" in message
    assert "it may use contact, kantor, retention_days, ticket" in message


def test_a_status_template_may_not_name_the_officer(tmp_path: Path) -> None:
    texts = shipped() | {"status": "Tiket {ticket} sedang di {unit}, dipegang {officer}."}
    assert "'status' names officer" in refusal(written(tmp_path, texts))


@pytest.mark.parametrize("internal", ["step", "due"])
def test_a_status_template_may_not_name_the_internal_step_or_its_standard(
    tmp_path: Path, internal: str
) -> None:
    texts = shipped() | {"status": f"Tiket {{ticket}} tahap {{{internal}}}."}
    assert f"'status' names {internal}" in refusal(written(tmp_path, texts))


def test_a_missing_template_is_refused(tmp_path: Path) -> None:
    texts = shipped()
    del texts["survey"]
    assert "missing template 'survey'" in refusal(written(tmp_path, texts))


def test_a_template_that_is_not_text_counts_as_missing(tmp_path: Path) -> None:
    texts: dict[str, object] = {**shipped(), "thanks": ["Terima kasih"]}
    assert "missing template 'thanks'" in refusal(written(tmp_path, texts))


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    texts = shipped() | {"reminder": "Jangan lupa tiket {ticket}."}
    assert "unknown kind 'reminder'" in refusal(written(tmp_path, texts))


@pytest.mark.parametrize("broken", ["Tiket {ticket", "Tiket ticket}", "Tiket {ticket}}", "Tiket {{ticket}"])
def test_a_template_with_broken_braces_is_refused(tmp_path: Path, broken: str) -> None:
    texts = shipped() | {"survey": broken}
    message = refusal(written(tmp_path, texts))
    assert "'survey'" in message and "not valid" in message


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ("Tiket {ticket!z}", "Unknown conversion specifier z"),
        ("Tiket {ticket:d}", "Unknown format code 'd'"),
        ("Nilai {rating:%Y}", "Invalid format specifier"),
    ],
)
def test_a_template_its_values_cannot_fill_is_refused_at_start_not_when_sent(
    tmp_path: Path, broken: str, why: str
) -> None:
    kind = "thanks" if "rating" in broken else "survey"
    message = refusal(written(tmp_path, shipped() | {kind: broken}))
    assert f"'{kind}': {why}" in message


def test_a_format_spec_the_values_take_is_fine(tmp_path: Path) -> None:
    templates = load_templates(written(tmp_path, shipped() | {"thanks": "{rating:d}/5 untuk {ticket:>16}"}))
    assert templates.render(NoticeKind.thanks, ticket=TICKET, rating=4) == f"4/5 untuk  {TICKET}"


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_template_is_refused(tmp_path: Path, empty: str) -> None:
    assert "'acknowledged' is empty" in refusal(written(tmp_path, shipped() | {"acknowledged": empty}))


def test_positional_fields_are_refused(tmp_path: Path) -> None:
    assert "'survey' names" in refusal(written(tmp_path, shipped() | {"survey": "Tiket {}"}))


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    texts = shipped() | {"thanks": "{score}", "reminder": "x"}
    del texts["status"]
    message = refusal(written(tmp_path, texts))
    assert all(
        problem in message for problem in ("missing template 'status'", "unknown kind 'reminder'", "score")
    )


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notices.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert "expected a mapping of kind -> text" in refusal(path)


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notices.yaml"
    path.write_text("acknowledged: [unclosed\n", encoding="utf-8")
    assert "cannot read them" in refusal(path)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    message = refusal(path)
    assert str(path) in message and "cannot read them" in message


def test_every_notice_kind_has_its_fields_declared() -> None:
    assert set(FIELDS) == set(NoticeKind)


def test_a_question_that_merely_mentions_its_ticket_is_a_question_not_a_status_request() -> None:
    assert status_request("Min, tiket BMS-261130-0042 itu untuk KIA, kalau KTP bagaimana?") is None
    assert status_request("Cek status tiket saya BMS-261130-0042, sudah sampai mana ya kak?") == (
        "BMS-261130-0042"
    )
