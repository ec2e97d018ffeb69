"""The citizen's side of a case, as plain functions: telling a status request and a rating from a
new question, the satisfaction index, and the texts of the notices.

A **status request** is a short message naming a ticket ("cek status BMS-261130-0042", "status
bms 261130 0042?", "cek tiket BMS2611300042"): a ticket-like token, a word such as status, cek or
tiket, and little else. A **rating** is a message that is only a score on the scale of the survey
the case was sent: a digit ("3", "3/4", "3 dari 4"), stars ("⭐⭐⭐"), or one of the scale's words.

The survey is the Survei Kepuasan Masyarakat's own (PermenPANRB 14/2017): a 4-point scale, 1 tidak
baik, 2 kurang baik, 3 baik, 4 sangat baik; the index is the mean x 25 (25-100), graded A (Sangat
Baik) from 88.31, B (Baik) from 76.61, C (Kurang Baik) from 65.00, else D (Tidak Baik). Surveys sent
before migration 0009 asked on 1-5 (1 tidak baik, 2 kurang baik, 3 cukup, 4 baik, 5 sangat baik):
such a rating keeps its stored value and scale, and counts by its words (`LEGACY_POINTS`).
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from shared.runtime.errors import ConfigError
from shared.sop.contracts import NoticeKind
from shared.sop.office import DEFAULT_TICKET_PREFIX


@functools.cache
def ticket_token(prefix: str) -> re.Pattern[str]:
    """A ticket as citizens type it, with the office's prefix ("bms 261130 0042", "BMS2611300042")."""
    return re.compile(rf"\b{re.escape(prefix)}[\s\-_.]*(\d{{6}})[\s\-_.]*(\d{{4,}})\b", re.IGNORECASE)


STATUS_WORDS = re.compile(
    r"\b(cek|cek+|check|cik|lihat|liat|status|stat+us|stts|sts|tiket|tiketnya|posisi|sampai mana|gimana)\b",
    re.IGNORECASE,
)
# Besides the ticket and the status words, a status request has at most this many words ("min",
# "kak", "tolong", "saya", "sudah sampai mana ya"...).
MAX_OTHER_WORDS = 5

SURVEY_SCALE = 4  # PermenPANRB 14/2017: each element scored 1-4
LEGACY_SCALE = 5  # the survey BAMSOS sent before migration 0009
# The regulation's words for the four scores: the survey, the laporan and the dashboard say these.
SCALE_WORDS: dict[int, str] = {1: "tidak baik", 2: "kurang baik", 3: "baik", 4: "sangat baik"}
LEGACY_WORDS: dict[int, str] = {1: "tidak baik", 2: "kurang baik", 3: "cukup", 4: "baik", 5: "sangat baik"}
# A 1-5 rating on the 4-point scale, by its words: the same word the same score, and "cukup", which
# the regulation's scale lacks, halfway between "kurang baik" and "baik".
LEGACY_POINTS: dict[int, float] = {1: 1.0, 2: 2.0, 3: 2.5, 4: 3.0, 5: 4.0}
# Words a citizen may answer with, lower case, besides the scale's own: the low end reads the same
# on both scales; the top differs (4 or 5).
_LOW = {
    "tdk baik": 1,
    "tidak puas": 1,
    "tdk puas": 1,
    "gak puas": 1,
    "nggak puas": 1,
    "sangat tidak puas": 1,
    "buruk": 1,
    "kurang": 2,
    "kurang puas": 2,
}
_SYNONYMS: dict[int, dict[str, int]] = {
    SURVEY_SCALE: _LOW
    | {
        "puas": 3,
        "bagus": 3,
        "sangat puas": 4,
        "puas sekali": 4,
        "baik sekali": 4,
        "sangat bagus": 4,
        "mantap": 4,
    },
    LEGACY_SCALE: _LOW
    | {
        "cukup puas": 3,
        "biasa": 3,
        "biasa saja": 3,
        "puas": 4,
        "sangat puas": 5,
        "puas sekali": 5,
        "mantap": 5,
    },
}
RATING_WORDS: dict[int, dict[str, int]] = {
    SURVEY_SCALE: {word: score for score, word in SCALE_WORDS.items()} | _SYNONYMS[SURVEY_SCALE],
    LEGACY_SCALE: {word: score for score, word in LEGACY_WORDS.items()} | _SYNONYMS[LEGACY_SCALE],
}
STARS = re.compile(r"^\s*([⭐★]\ufe0f?\s*){1,5}\s*$")
SKM_SCALE = (1, SURVEY_SCALE)
GRADES = (
    (88.31, "A", "Sangat Baik"),
    (76.61, "B", "Baik"),
    (65.00, "C", "Kurang Baik"),
    (0.0, "D", "Tidak Baik"),
)


def status_request(text: str, prefix: str = DEFAULT_TICKET_PREFIX) -> str | None:
    """The ticket a status request names, written the standard way; None for anything else."""
    token = ticket_token(prefix)
    found = token.search(text)
    if found is None or len(text) > 120:
        return None
    rest = token.sub(" ", text)
    if not STATUS_WORDS.search(rest) and rest.strip(" ?.!,:") != "":
        return None
    # "and little else": a question that merely mentions its ticket is a question.
    others = re.findall(r"[^\W\d_]+", STATUS_WORDS.sub(" ", rest))
    if len(others) > MAX_OTHER_WORDS:
        return None
    return f"{prefix}-{found.group(1)}-{found.group(2)}"


def rating(text: str, scale: int = SURVEY_SCALE) -> int | None:
    """The score a message that is only a rating gives on `scale` (4, or 5 for a survey sent
    before 0009); None for anything else."""
    cleaned = text.strip().lower().strip(".!")
    number = re.match(
        rf"^\s*([1-{scale}])\s*(?:(?:/|dari|of)\s*{scale})?\s*(?:bintang)?\s*[.!]*\s*$", cleaned
    )
    if number is not None:
        return int(number.group(1))
    if STARS.match(text.strip()):
        stars = sum(1 for ch in text if ch in "⭐★")
        return stars if stars <= scale else None
    return RATING_WORDS[scale].get(" ".join(cleaned.split()))


def may_be_rating(text: str) -> bool:
    """Whether a message reads as a rating on any scale a survey awaiting it may have."""
    return any(rating(text, scale) is not None for scale in RATING_WORDS)


def points(score: int, scale: int) -> float:
    """A rating as points on the regulation's 4-point scale."""
    return LEGACY_POINTS[score] if scale == LEGACY_SCALE else float(score)


def skm_index(mean: float) -> float:
    """A mean on the regulation's 1-4 scale as the SKM's 25-100 index: x 25."""
    return mean * 25


def skm_grade(index: float) -> tuple[str, str]:
    """The SKM's letter and its meaning for an index."""
    return next((letter, words) for bound, letter, words in GRADES if index >= bound)


# --- the notices' texts -----------------------------------------------------------------------

DEFAULT_TEMPLATES = Path(__file__).with_name("notices.yaml")
# Fields every template may use, filled at start from the org chart and the settings: the office's
# name as citizens know it, how long personal data is kept, and where to ask about it.
COMMON = frozenset({"kantor", "retention_days", "contact"})
# What each notice's template may use besides COMMON; a template naming anything else is refused at
# start. The status names no internal step and no standard: who holds the case, since when, and what
# happens next.
FIELDS: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.acknowledged: frozenset({"ticket", "standard_minutes"}),
    NoticeKind.status: frozenset({"ticket", "unit", "since", "next"}),
    NoticeKind.survey: frozenset({"ticket", "choices"}),
    NoticeKind.thanks: frozenset({"ticket", "rating", "scale", "rating_word"}),
    NoticeKind.unknown_ticket: frozenset({"ticket"}),
    NoticeKind.issued: frozenset({"ticket", "number", "document"}),
}
ANSWERED = "answered"  # the status text of a case already answered, with {ticket} and {answered_at}
PRIVACY = "privasi"  # added to the first acknowledgement an account receives
EXTRA: dict[str, frozenset[str]] = {ANSWERED: frozenset({"ticket", "answered_at"}), PRIVACY: frozenset()}
# Values of the fields' kinds (times and names are text, the minutes and the rating numbers), to try
# each template on at start, and to measure it against the channels' limits.
SAMPLE: dict[str, object] = {
    "kantor": "Disdukcapil Kota Pekanbaru",
    "retention_days": 365,
    "contact": "loket pengaduan Disdukcapil Kota Pekanbaru, Jl. Contoh No. 1, telepon (0761) 000000",
    "ticket": "BMS-261130-0001",
    "standard_minutes": 5,
    "unit": "Seksi Identitas Penduduk",
    "since": "30 November 2026 pukul 09.00 WIB",
    "next": "Setelah kepala seksi memutuskan, jawabannya kami kirim melalui percakapan ini.",
    "choices": "1 = tidak baik, 2 = kurang baik, 3 = baik, 4 = sangat baik",
    "rating": 4,
    "scale": 4,
    "rating_word": "sangat baik",
    "answered_at": "30 November 2026 pukul 09.05 WIB",
    "number": "1471-2026-000123",
    "document": "Kartu Keluarga",
}


def survey_choices() -> str:
    """The survey's answers as the survey lists them: "1 = tidak baik, ..., 4 = sangat baik"."""
    return ", ".join(f"{score} = {word}" for score, word in SCALE_WORDS.items())


@dataclass(frozen=True)
class Templates:
    texts: dict[str, str]
    common: dict[str, object] = field(default_factory=dict)

    def render(self, kind: NoticeKind | str, **fields: object) -> str:
        return self.texts[str(kind)].format(**(DEFAULT_COMMON | self.common | fields)).strip()

    def with_common(self, **common: object) -> Templates:
        """The same texts, with the office's name, retention and contact filled in."""
        return Templates(self.texts, {**self.common, **common})


# What the common fields say until the office's own are set (the pipeline sets them at start from
# the org chart and BAMSOS_RETENTION_DAYS, BAMSOS_PRIVACY_CONTACT; these are the settings' defaults).
DEFAULT_COMMON: dict[str, object] = {
    "kantor": "Disdukcapil",
    "retention_days": 365,
    "contact": "petugas kami melalui percakapan ini",
}


def load_templates(path: Path | None = None) -> Templates:
    """Read and check the notices' templates: every kind present, no unknown field."""
    path = path or DEFAULT_TEMPLATES
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"notice templates {path}: cannot read them: {e}") from e
    allowed = {str(k): v | COMMON for k, v in FIELDS.items()} | {k: v | COMMON for k, v in EXTRA.items()}
    if not isinstance(raw, dict):
        raise ConfigError(f"notice templates {path}: expected a mapping of kind -> text")
    problems = [f"missing template '{kind}'" for kind in allowed if not isinstance(raw.get(kind), str)]
    problems += [f"unknown kind '{kind}'" for kind in raw if kind not in allowed]
    for kind, text in raw.items():
        if kind in allowed and isinstance(text, str):
            try:
                named = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            except ValueError as e:
                problems.append(f"'{kind}': {e}")
                continue
            unknown = sorted(named - allowed[kind])
            if unknown:
                problems.append(
                    f"'{kind}' names {', '.join(unknown)}; it may use {', '.join(sorted(allowed[kind]))}"
                )
                continue
            try:  # a conversion or format spec the values can't take ({ticket!z}, {ticket:d}) fails here
                if not text.format(**SAMPLE).strip():
                    problems.append(f"'{kind}' is empty")
            except (ValueError, TypeError, IndexError, KeyError, AttributeError) as e:
                problems.append(f"'{kind}': {e}")
    if problems:
        raise ConfigError(f"notice templates {path} are not valid: " + "; ".join(problems))
    return Templates({str(k): str(v) for k, v in raw.items()})
