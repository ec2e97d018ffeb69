"""Gives a topic and a service to an inquiry that arrived without them, by weighted keyword rules.

Citizens write "min, akte anak sy blm jadi2 udh 3 mgg 🙏": the text is normalised first (lower case,
no emoji or punctuation, repeated letters squeezed, chat abbreviations expanded from the rules'
table), then every topic and every service is scored by the weighted patterns of the rules file
(`classify_rules.yaml` here is the default; `BAMSOS_CLASSIFY_RULES` points at another one). What
scores too little, or too close to a rival, is below `DEFAULT_THRESHOLD`: the router hands it to the
admin for triage instead of guessing. How the rules work and how well: docs/classification.md.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.runtime.errors import ConfigError
from shared.sop.contracts import Service, Topic

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_THRESHOLD",
    "SERVICE_ROUTED_TOPICS",
    "Classification",
    "Rules",
    "classify",
    "explain",
    "load_rules",
    "normalise",
]

DEFAULT_RULES = Path(__file__).with_name("classify_rules.yaml")

# Below this confidence the case goes to the admin for triage. Chosen on the corpus's train split
# (docs/classification.md): a single strong cue passes, two rival topics of equal weight do not.
DEFAULT_THRESHOLD = 0.5

# These topics go to the section head that owns the service ("kasi terkait", sop.first_assignment),
# so for them an unknown service is as bad as an unknown topic. The other topics go to the admin,
# the data-editing unit or the pickup desk whatever the service.
SERVICE_ROUTED_TOPICS: frozenset[Topic] = frozenset({Topic.kebijakan, Topic.belum_terbit})

Label = TypeVar("Label", Topic, Service)


@dataclass(frozen=True)
class Classification:
    """What the rules make of a message. Confidences are in 0..1; None means nothing matched."""

    topic: Topic | None
    service: Service | None
    topic_confidence: float
    service_confidence: float

    def needs_triage(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """True when the router should not route on this: the topic is unsure, or the topic goes
        to the section head of the service and the service is unsure."""
        if self.topic is None or self.topic_confidence < threshold:
            return True
        return self.topic in SERVICE_ROUTED_TOPICS and self.service_confidence < threshold


Weight = Annotated[float, Field(ge=-10, le=10)]


class _RulesFile(BaseModel):
    """The YAML file as written; checked whole so that every mistake is reported at once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    saturation: Annotated[float, Field(gt=0, le=100)] = 3.0
    abbreviations: dict[str, str] = Field(default_factory=dict)
    topics: dict[Topic, dict[str, Weight]]
    services: dict[Service, dict[str, Weight]]

    @field_validator("topics", "services", mode="before")
    @classmethod
    def _empty_label_is_a_mapping(cls, value: object) -> object:
        # `lainnya:` with nothing under it reads as None in YAML: a label with no patterns.
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _complete_and_compilable(self) -> _RulesFile:
        problems = []
        for kind, table, codes in (("topics", self.topics, Topic), ("services", self.services, Service)):
            missing = [c.value for c in codes if c not in table]
            if missing:
                problems.append(f"{kind}: no entry for {', '.join(missing)} (an empty one is allowed)")
            for label, patterns in table.items():
                for pattern in patterns:
                    try:
                        re.compile(pattern)
                    except re.error as e:
                        problems.append(f"{kind}.{label.value}: pattern {pattern!r} is not a regex: {e}")
        if problems:
            raise ValueError("\n    ".join(problems))
        return self


@dataclass(frozen=True)
class Rules:
    """Rules ready to run: every pattern compiled once, at load time (classify runs per inquiry)."""

    saturation: float
    abbreviations: dict[str, str]
    abbreviation_re: re.Pattern[str] | None
    topics: tuple[tuple[Topic, tuple[tuple[re.Pattern[str], float], ...]], ...]
    services: tuple[tuple[Service, tuple[tuple[re.Pattern[str], float], ...]], ...]


def load_rules(path: Path | None = None) -> Rules:
    """Read and check a rules file; a bad one raises ConfigError saying what is wrong and where."""
    path = path or DEFAULT_RULES
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"classification rules {path}: cannot read it: {e}") from e
    try:
        checked = _RulesFile.model_validate(raw)
    except ValidationError as e:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in e.errors(include_input=False, include_url=False)
        ]
        raise ConfigError(f"classification rules {path} are not valid:\n" + "\n".join(lines)) from e
    table = {_squeeze(k): _squeeze(v) for k, v in checked.abbreviations.items() if _squeeze(k)}
    keys = sorted(table, key=len, reverse=True)  # longest first: "e ktp" before "e"
    return Rules(
        saturation=checked.saturation,
        abbreviations=table,
        abbreviation_re=re.compile(r"\b(?:" + "|".join(map(re.escape, keys)) + r")\b") if keys else None,
        topics=tuple((t, _compile(checked.topics[t])) for t in checked.topics),
        services=tuple((s, _compile(checked.services[s])) for s in checked.services),
    )


def normalise(text: str, rules: Rules) -> str:
    """What the patterns see: "Akte anak2 sy BLM jadiii!! 😭" -> "akta anak anak saya belum jadi"."""
    text = _squeeze(text)
    if rules.abbreviation_re is not None:
        text = rules.abbreviation_re.sub(lambda m: rules.abbreviations[m.group(0)], text)
    return text


def classify(text: str, rules: Rules) -> Classification:
    """The topic and service of a message, each with a confidence in 0..1. Pure; no I/O.

    Nothing matched: topic (and service) None, confidence 0. A topic but no service matched:
    service `lainnya` with confidence 0 (the message names no service; see SERVICE_ROUTED_TOPICS).
    """
    words = normalise(text, rules)
    topic, topic_confidence = _best(_scores(words, rules.topics), rules.saturation)
    service, service_confidence = _best(_scores(words, rules.services), rules.saturation)
    if service is None and topic is not None:
        service = Service.lainnya
    return Classification(topic, service, topic_confidence, service_confidence)


def explain(text: str, rules: Rules) -> list[tuple[str, float]]:
    """Which patterns matched, as ("topics.informasi: syarat\\w*", weight): to debug a rules file."""
    words = normalise(text, rules)
    fired: list[tuple[str, float]] = []
    for kind, table in (("topics", rules.topics), ("services", rules.services)):
        for label, patterns in table:
            fired += [(f"{kind}.{label.value}: {p.pattern[5:-3]}", w) for p, w in patterns if p.search(words)]
    return fired


def _scores(
    words: str, table: tuple[tuple[Label, tuple[tuple[re.Pattern[str], float], ...]], ...]
) -> list[tuple[Label, float]]:
    return [(label, max(0.0, sum(w for p, w in patterns if p.search(words)))) for label, patterns in table]


def _best(scores: list[tuple[Label, float]], saturation: float) -> tuple[Label | None, float]:
    # max() keeps the first of equal scores: a tie goes to the label listed first in the file.
    label, best = max(scores, key=lambda pair: pair[1], default=(None, 0.0))
    if label is None or best <= 0:
        return None, 0.0
    total = math.fsum(score for _, score in scores)
    return label, round(min(1.0, best / saturation) * best / total, 3)


def _compile(patterns: dict[str, float]) -> tuple[tuple[re.Pattern[str], float], ...]:
    return tuple((re.compile(rf"\b(?:{p})\b"), w) for p, w in patterns.items())


_REDUPLICATED = re.compile(r"\b([^\W\d_]{2,})2\b")  # "anak2" is how chat writes "anak-anak"
_NOT_WORD = re.compile(r"[\W_]+")  # punctuation, emoji, symbols
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")  # "17thn" -> "17 thn"
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")  # "tolongggg": Indonesian never triples a letter
_FINAL_DOUBLE = re.compile(r"(?<=[^\W\d_]{2})([^\W\d_])\1\b")  # "kakk", "minn"; "kk" itself stays


def _squeeze(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _REDUPLICATED.sub(r"\1 \1", text)
    text = _NOT_WORD.sub(" ", text)
    text = _DIGIT_LETTER.sub(" ", text)
    text = _STRETCHED.sub(r"\1", text)
    text = _FINAL_DOUBLE.sub(r"\1", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Classifier:
    """The office's rules and triage threshold, as the router applies them to a new inquiry."""

    rules: Rules
    threshold: float = DEFAULT_THRESHOLD

    def fill(
        self, text: str, topic: Topic | None, service: Service | None
    ) -> tuple[Topic | None, Service | None]:
        """Fill in what upstream left out. Topic None means "admin triage": the guess is unsure.

        What upstream set counts as certain; a confident service guess is kept even for triage.
        """
        guess = classify(text, self.rules)
        merged = Classification(
            topic=topic or guess.topic,
            service=service or guess.service,
            topic_confidence=1.0 if topic else guess.topic_confidence,
            service_confidence=1.0 if service else guess.service_confidence,
        )
        sure_service = merged.service if merged.service_confidence >= self.threshold else None
        if merged.needs_triage(self.threshold):
            return None, sure_service
        return merged.topic, sure_service or merged.service
