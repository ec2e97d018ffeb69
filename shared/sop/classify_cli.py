"""`bamsos classify`: measure the classification rules on a labelled corpus, or try them on one message.

The corpus (`shared/sop/data/corpus.jsonl`) is JSON lines `{"text", "topic", "service"}`, written
by hand in the voice of citizens on social media; `topic`/`service` null marks a message that names
neither (a greeting, a complaint with no subject): the right outcome for it is the admin's triage.
Which split a message is in follows from its text (`split_of`), so no edit of the file can move a
message between them. The `test` split is held out: rules are tuned on `train` only, and
`evaluate --errors` lists the training split's errors only.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import click
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from shared.runtime.errors import ConfigError
from shared.sop import classify as classifier
from shared.sop.classify import (
    DEFAULT_THRESHOLD,
    SERVICE_ROUTED_TOPICS,
    Classification,
    Rules,
    explain,
    load_rules,
    normalise,
)
from shared.sop.contracts import TEXT_LIMIT, Service, Topic

DEFAULT_CORPUS = Path(__file__).with_name("data") / "corpus.jsonl"

Split = Literal["train", "test"]
T = TypeVar("T")

# The held-out share: 3 messages in 10, by a hash of the text (fixed before anything was measured).
HELD_OUT_TENTHS = 3


def split_of(text: str) -> Split:
    """`test` (held out) or `train`, from the text alone: SHA-256 of the text with its whitespace
    collapsed, its first 8 hex digits as a number, mod 10, below HELD_OUT_TENTHS. A hash never looks
    at the labels, and no one picks which messages are held out."""
    digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
    return "test" if int(digest[:8], 16) % 10 < HELD_OUT_TENTHS else "train"


class Example(BaseModel):
    """One labelled message of the corpus."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_LIMIT)]
    topic: Topic | None
    service: Service | None

    @property
    def split(self) -> Split:
        return split_of(self.text)


def load_corpus(path: Path | None = None) -> list[Example]:
    """Read a corpus file; a bad line raises ConfigError naming the line."""
    path = path or DEFAULT_CORPUS
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ConfigError(f"corpus {path}: cannot read it: {e}") from e
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            examples.append(Example.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as e:
            raise ConfigError(f"corpus {path}, line {number}: {e}") from e
    return examples


@dataclass(frozen=True)
class LabelStats:
    """How one topic or service fared: how often it was labelled, classified, and both."""

    label: str
    support: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0


@dataclass(frozen=True)
class Report:
    """The rules measured on some examples, at one triage threshold."""

    size: int
    topic_accuracy: float  # over the examples that have a topic, whatever the confidence
    service_accuracy: float  # over the examples that have a service
    triage_share: float  # over all examples: what the router would hand to the admin
    routed_right: float  # over the examples not sent to triage: the route (topic, service) is right
    untopical_triaged: tuple[int, int]  # messages labelled with no topic: (sent to triage, all)
    topics: tuple[LabelStats, ...]
    services: tuple[LabelStats, ...]
    confusion: Counter[tuple[str, str]]  # (labelled topic, classified topic) -> count; "-" is none
    errors: tuple[tuple[Example, Classification], ...]


def evaluate(examples: Sequence[Example], rules: Rules, threshold: float = DEFAULT_THRESHOLD) -> Report:
    """Classify every example and compare with its labels. Pure."""
    results = [(e, classifier.classify(e.text, rules)) for e in examples]
    topical = [(e, c) for e, c in results if e.topic is not None]
    with_service = [(e, c) for e, c in results if e.service is not None]
    routed = [(e, c) for e, c in results if not c.needs_triage(threshold)]
    untopical = [c for e, c in results if e.topic is None]
    return Report(
        size=len(results),
        topic_accuracy=_share(e.topic is c.topic for e, c in topical),
        service_accuracy=_share(e.service is c.service for e, c in with_service),
        triage_share=_share(c.needs_triage(threshold) for _, c in results),
        routed_right=_share(_route_right(e, c) for e, c in routed),
        untopical_triaged=(sum(c.needs_triage(threshold) for c in untopical), len(untopical)),
        topics=tuple(_stats(t.value, [(_code(e.topic), _code(c.topic)) for e, c in results]) for t in Topic),
        services=tuple(
            _stats(s.value, [(_code(e.service), _code(c.service)) for e, c in results]) for s in Service
        ),
        confusion=Counter((_code(e.topic), _code(c.topic)) for e, c in results),
        errors=tuple((e, c) for e, c in results if e.topic is not c.topic or e.service is not c.service),
    )


def _route_right(example: Example, got: Classification) -> bool:
    # The service only picks the route for the topics that go to the section head of the service.
    if example.topic is None or got.topic is not example.topic:
        return False
    return example.topic not in SERVICE_ROUTED_TOPICS or got.service is example.service


def _stats(label: str, pairs: list[tuple[str, str]]) -> LabelStats:
    return LabelStats(
        label=label,
        support=sum(want == label for want, _ in pairs),
        predicted=sum(got == label for _, got in pairs),
        correct=sum(want == got == label for want, got in pairs),
    )


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def _code(label: Topic | Service | None) -> str:
    return label.value if label is not None else "-"


# --- the commands ------------------------------------------------------------------------------

_rules_option = click.option(
    "--rules",
    "rules_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="BAMSOS_CLASSIFY_RULES",
    help="Rules file (default: BAMSOS_CLASSIFY_RULES, else the shipped shared/sop/classify_rules.yaml).",
)
_threshold_option = click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Confidence below which the router sends the case to the admin for triage.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def classify() -> None:
    """Topic and service of inquiries that arrive without them: measure the rules, try a message."""


@classify.command("evaluate")
@click.option(
    "--corpus",
    "corpus_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Labelled JSON lines (default: the shipped corpus).",
)
@click.option(
    "--split",
    type=click.Choice(["train", "test", "both", "all"]),
    default="both",
    show_default=True,
    help="Which examples: one split, each split in turn, or all pooled.",
)
@click.option(
    "--errors",
    is_flag=True,
    help="Also list the training split's messages classified wrong (held-out ones are only counted).",
)
@_rules_option
@_threshold_option
def evaluate_cmd(
    corpus_path: Path | None, split: str, errors: bool, rules_path: Path | None, threshold: float
) -> None:
    """Accuracy, precision and recall per topic and service, the topic confusion, the triage share."""
    rules, corpus = _load(lambda: (load_rules(rules_path), load_corpus(corpus_path)))
    click.echo(f"corpus {corpus_path or DEFAULT_CORPUS}; rules {rules_path or 'shipped'}")
    parts: list[tuple[str, list[Example]]] = [
        (name, [e for e in corpus if e.split == name])
        for name in ("train", "test")
        if split in (name, "both")
    ]
    if split == "all":
        parts = [("all", list(corpus))]
    for name, examples in parts:
        _print_report(name, evaluate(examples, rules, threshold), threshold, errors)


@classify.command()
@click.argument("message")
@_rules_option
@_threshold_option
def text(message: str, rules_path: Path | None, threshold: float) -> None:
    """Classify one MESSAGE and show what the rules matched."""
    rules = _load(lambda: load_rules(rules_path))
    got = classifier.classify(message, rules)
    click.echo(f"normalised  {normalise(message, rules)}")
    click.echo(f"topic       {_code(got.topic):<16} confidence {got.topic_confidence:.2f}")
    click.echo(f"service     {_code(got.service):<16} confidence {got.service_confidence:.2f}")
    verdict = "yes" if got.needs_triage(threshold) else "no"
    click.echo(f"triage      {verdict} (threshold {threshold:.2f})")
    for pattern, weight in explain(message, rules):
        click.echo(f"  {weight:+5.1f}  {pattern}")


def _load(load: Callable[[], T]) -> T:
    try:
        return load()
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


def _print_report(name: str, report: Report, threshold: float, errors: bool) -> None:
    echo = click.echo
    echo(f"\n== {name}: {report.size} messages, threshold {threshold:.2f}")
    echo(f"topic accuracy    {report.topic_accuracy:.3f}")
    echo(f"service accuracy  {report.service_accuracy:.3f}")
    echo(f"sent to triage    {report.triage_share:.3f}   routed right (the rest): {report.routed_right:.3f}")
    triaged, untopical = report.untopical_triaged
    echo(f"no-topic messages sent to triage: {triaged}/{untopical}")
    for title, rows in (("topic", report.topics), ("service", report.services)):
        echo(f"\n{title:<16} {'support':>7} {'precision':>9} {'recall':>7}")
        for s in rows:
            echo(f"{s.label:<16} {s.support:>7} {s.precision:>9.2f} {s.recall:>7.2f}")
    codes = [t.value for t in Topic] + ["-"]
    echo("\nconfusion: rows labelled, columns classified")
    echo(" " * 16 + "".join(f"{c[:6]:>7}" for c in codes))
    for want in codes:
        echo(f"{want:<16}" + "".join(f"{report.confusion[want, got]:>7}" for got in codes))
    if errors:
        # Reading the held-out errors is tuning on them: only the training split's are listed.
        wrong = [(e, c) for e, c in report.errors if e.split == "train"]
        echo(f"\nwrong in the training split (labelled -> classified): {len(wrong)}")
        for e, c in wrong:
            echo(f"  {_code(e.topic)}/{_code(e.service)} -> {_code(c.topic)}/{_code(c.service)}: {e.text}")
        if held_out := len(report.errors) - len(wrong):
            echo(f"  and {held_out} held out, not listed: tune on the training split only")
