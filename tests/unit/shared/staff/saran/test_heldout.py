"""The suggestions against the held-out set (`pertanyaan.yaml`): 152 chat questions, each labelled
with the template an officer would pick. Floors: top-1 at least 70%, top-3 at least 90%."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.console.answers import as_templates, load_answers
from shared.staff.saran import Suggester

HELD_OUT = Path(__file__).with_name("pertanyaan.yaml")


def _hits(suggester: Suggester, labelled: dict[str, list[str]]) -> tuple[int, int, int]:
    top1 = top3 = total = 0
    for label, questions in labelled.items():
        for question in questions:
            found = [f"{s.layanan or 'umum'}: {s.judul}" for s in suggester.suggest(question)]
            top1 += found[:1] == [label]
            top3 += label in found[:3]
            total += 1
    return top1, top3, total


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester(as_templates(load_answers()))


def test_every_label_names_a_template_of_the_answers_file(suggester: Suggester) -> None:
    """A renamed template shows here, not as a silent drop in the scores."""
    labelled = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))
    names = {f"{t.layanan or 'umum'}: {t.judul}" for t in suggester.templates.templates}
    assert set(labelled) <= names
    assert sum(map(len, labelled.values())) >= 150


def test_the_right_template_is_first_for_70_percent_and_in_the_top_3_for_90(suggester: Suggester) -> None:
    labelled = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))
    top1, top3, total = _hits(suggester, labelled)
    assert top1 / total >= 0.70, f"top-1 {top1}/{total}"
    assert top3 / total >= 0.90, f"top-3 {top3}/{total}"
