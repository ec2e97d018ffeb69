"""Classification of inquiries that arrive without a topic or service: chat spelling, triage, rules files.

The messages here are written for these tests, not taken from the corpus.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.runtime.errors import ConfigError
from shared.sop.classify import DEFAULT_THRESHOLD, Rules, classify, load_rules, normalise
from shared.sop.classify_cli import DEFAULT_CORPUS, HELD_OUT_TENTHS, evaluate, load_corpus, split_of
from shared.sop.classify_cli import classify as classify_command
from shared.sop.contracts import Service, Topic

SHIPPED = load_rules()


@pytest.fixture
def rules() -> Rules:
    return SHIPPED


@pytest.mark.parametrize(
    ("text", "topic", "service"),
    [
        ("min akte lahir anak sy blm jadi2 udh 3 mgg", Topic.belum_terbit, Service.akta_kelahiran),
        ("ektp sy salah ketik tgl lahirnya kak, tolong dibenerin", Topic.kesalahan_data, Service.ktp_el),
        ("KTP-el udh jd kata petugas, ambilnya dmn ya?", Topic.dokumen_terbit, Service.ktp_el),
        ("syarat bikin kia gmn min", Topic.informasi, Service.kia),
        ("boleh ga bikin akte kelahiran tanpa surat nikah ortu?", Topic.kebijakan, Service.akta_kelahiran),
        ("surat pindah sy kok lama bgt blm keluar", Topic.belum_terbit, Service.pindah_datang),
        ("kak nama alm bapak di akte kematian keliru", Topic.kesalahan_data, Service.akta_kematian),
        ("akte cerai udh terbit, bisa dikirim lewat pos ga?", Topic.dokumen_terbit, Service.akta_perceraian),
        ("nikah beda agama bs dicatat di capil nggak?", Topic.kebijakan, Service.akta_perkawinan),
        ("gmn cara pecah kk? sy mau kk sendiri", Topic.informasi, Service.kk),
    ],
)
def test_chat_spelling_maps_to_the_right_topic_and_service(
    rules: Rules, text: str, topic: Topic, service: Service
) -> None:
    got = classify(text, rules)
    assert (got.topic, got.service) == (topic, service)
    assert not got.needs_triage()


def test_case_emoji_punctuation_and_stretched_letters_do_not_matter(rules: Rules) -> None:
    plain = classify("syarat bikin kk baru apa aja min", rules)
    shouted = classify("SYARAT BIKIN KK BARU APA AJAAA MINNN??? 🙏🙏😭", rules)
    assert shouted == plain
    assert plain.topic is Topic.informasi and plain.service is Service.kk


def test_every_spelling_of_the_identity_card_reads_the_same(rules: Rules) -> None:
    spellings = ["e-KTP", "E-ktp", "eKTP", "KTP-el", "ktp el", "KTP elektronik", "ktpel"]
    assert {normalise(f"{s} saya", rules) for s in spellings} == {"ktp el saya"}


def test_normalising_expands_abbreviations_and_chat_habits(rules: Rules) -> None:
    assert normalise("Anak2 sy blm 17thn, gmn dong kakk?!", rules) == (
        "anak anak saya belum 17 tahun bagaimana dong kak"
    )


@pytest.mark.parametrize("text", ["Selamat ulang tahun admin 🎉🎉", "wkwkwk", "harga cabai naik lagi ya"])
def test_an_unrelated_message_matches_nothing_and_goes_to_triage(rules: Rules, text: str) -> None:
    got = classify(text, rules)
    assert (got.topic, got.service, got.topic_confidence) == (None, None, 0.0)
    assert got.needs_triage(DEFAULT_THRESHOLD)


def test_a_weak_cue_alone_is_below_the_threshold(rules: Rules) -> None:
    got = classify("min mau tanya dong", rules)
    assert got.topic is Topic.informasi
    assert got.topic_confidence < DEFAULT_THRESHOLD and got.needs_triage()


def test_a_topic_with_no_service_named_gets_lainnya_with_no_confidence(rules: Rules) -> None:
    got = classify("jam pelayanan hari jumat sampai jam berapa?", rules)
    assert (got.topic, got.service) == (Topic.informasi, Service.lainnya)
    unnamed = classify("berkas saya kok belum ditandatangani juga, udah 2 minggu", rules)
    assert (unnamed.topic, unnamed.service, unnamed.service_confidence) == (
        Topic.belum_terbit,
        Service.lainnya,
        0.0,
    )


def test_an_unnamed_service_sends_to_triage_only_the_topics_routed_by_service(rules: Rules) -> None:
    """Policy and not-yet-issued cases go to the section head of the service; the others do not."""
    assert classify("berkas saya kok belum ditandatangani juga, udah 2 minggu", rules).needs_triage()
    assert not classify("nama saya salah ketik, mohon diperbaiki", rules).needs_triage()


def test_two_rival_topics_of_equal_weight_are_sent_to_triage(rules: Rules) -> None:
    got = classify("syarat rekam ktp tanpa kk", rules)  # informasi 2.5 against kebijakan 2.5
    assert got.topic_confidence <= 0.5


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gets_confidences_between_0_and_1(text: str) -> None:
    got = classify(text, SHIPPED)
    assert 0.0 <= got.topic_confidence <= 1.0 and 0.0 <= got.service_confidence <= 1.0
    assert (got.topic is None) == (got.topic_confidence == 0.0)


def test_an_office_can_load_its_own_rules_file(tmp_path: Path) -> None:
    own = tmp_path / "rules.yaml"
    topics = "\n".join(f"  {t.value}: {{}}" for t in Topic if t is not Topic.belum_terbit)
    services = "\n".join(f"  {s.value}:" for s in Service if s is not Service.kk)
    own.write_text(
        "abbreviations: {lom: belum}\n"
        f"topics:\n{topics}\n  belum_terbit: {{'belum (jadi|keluar)': 3}}\n"
        f"services:\n{services}\n  kk: {{'kk|kartu keluarga': 3}}\n"
    )
    got = classify("KK lom jadi", load_rules(own))
    assert (got.topic, got.service, got.topic_confidence) == (Topic.belum_terbit, Service.kk, 1.0)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("topics: [unclosed", "cannot read it"),
        ("topics: {}\nservices: {}\n", "topics: no entry for informasi, kebijakan, kesalahan_data"),
        ("topics: {ktp: {}}\nservices: {}\n", "Input should be 'informasi'"),
        ("topics: {informasi: {'syarat(': 2}}\nservices: {}\n", "pattern 'syarat(' is not a regex"),
        ("topics: {informasi: {syarat: lots}}\nservices: {}\n", "topics.informasi.syarat"),
    ],
)
def test_a_bad_rules_file_is_refused_clearly(tmp_path: Path, content: str, complaint: str) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(content)
    with pytest.raises(ConfigError, match=str(bad)) as caught:
        load_rules(bad)
    assert complaint in str(caught.value)


def test_the_corpus_covers_every_topic_and_service_with_a_held_out_split() -> None:
    corpus = load_corpus()
    topics = Counter(e.topic for e in corpus)
    services = Counter(e.service for e in corpus)
    assert len(corpus) >= 220
    assert all(topics[t] >= 30 for t in Topic) and all(services[s] >= 12 for s in Service)
    assert len({e.text for e in corpus}) == len(corpus)
    assert 0.25 <= sum(e.split == "test" for e in corpus) / len(corpus) <= 0.35


def test_the_held_out_split_follows_from_the_text_alone_at_the_documented_share(tmp_path: Path) -> None:
    """The split is a hash of the text, not a field anyone edits: the shipped corpus comes out as
    docs/classification.md measured it (198 train, 83 held out), and spacing does not move a message."""
    corpus = load_corpus()
    assert Counter(e.split for e in corpus) == {"train": 198, "test": 83}
    assert HELD_OUT_TENTHS == 3 and abs(83 / len(corpus) - 0.3) < 0.02
    for e in corpus[:40]:
        assert split_of(f"  {e.text.replace(' ', '   ')}\n") == e.split
    # The same text is always in the same split, whatever file it is in.
    first = corpus[0]
    assert (first.text.startswith("Selamat pagi admin"), first.split) == (True, "test")
    assert '"split"' not in DEFAULT_CORPUS.read_text(encoding="utf-8")
    stored = tmp_path / "corpus.jsonl"
    stored.write_text('{"text": "KK saya hilang", "topic": "informasi", "service": "kk", "split": "test"}\n')
    with pytest.raises(ConfigError, match="split"):
        load_corpus(stored)


def test_evaluate_lists_the_training_errors_only_so_nobody_tunes_on_the_held_out_ones() -> None:
    result = CliRunner().invoke(classify_command, ["evaluate", "--split", "all", "--errors"])
    assert result.exit_code == 0, result.output
    held_out = [e.text for e in load_corpus() if e.split == "test"]
    listed = result.output.split("wrong in the training split")[1]
    assert not any(text in listed for text in held_out)
    assert "held out, not listed: tune on the training split only" in listed
    assert any(e.text in listed for e in load_corpus() if e.split == "train")


def test_the_default_rules_stay_accurate_on_the_held_out_corpus(rules: Rules) -> None:
    """Floors a few messages below what docs/classification.md measured (topic 0.85, service 0.90
    held out): a rules edit that loses more than that is a regression. Below 0.8 one case in five
    would go to the wrong unit, and routing everything to triage would serve the office better."""
    corpus = load_corpus()
    held_out = evaluate([e for e in corpus if e.split == "test"], rules)
    assert held_out.topic_accuracy >= 0.80
    assert held_out.service_accuracy >= 0.85
    pooled = evaluate(corpus, rules)
    assert pooled.routed_right >= 0.90  # of what the router routes itself, without triage
    assert pooled.untopical_triaged[0] == pooled.untopical_triaged[1]  # no greeting is ever routed


def test_the_evaluate_command_prints_accuracy_per_split_and_the_confusion() -> None:
    result = CliRunner().invoke(classify_command, ["evaluate"])
    assert result.exit_code == 0, result.output
    assert "== train:" in result.output and "== test:" in result.output
    assert "topic accuracy" in result.output and "confusion" in result.output


def test_the_text_command_classifies_one_message() -> None:
    result = CliRunner().invoke(classify_command, ["text", "KTP saya udh jadi, ambil dimana?"])
    assert result.exit_code == 0, result.output
    assert "dokumen_terbit" in result.output and "ktp_el" in result.output
