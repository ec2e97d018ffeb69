"""The citizen's side of a case, as plain functions: telling a status request and a rating from a
new question, the satisfaction index, and the texts of the notices.

A **status request** is a short message naming a ticket ("cek status BMS-261130-0042", "status
bms 261130 0042?", "cek tiket BMS2611300042"): a ticket-like token, a word such as status, cek or
tiket, and little else. A **rating** is a message that is only a score on the 1-5 scale: a digit
("4", "4/5", "4 dari 5"), stars ("⭐⭐⭐⭐"), or one of the words in `RATING_WORDS`.

The **index** follows the Survei Kepuasan Masyarakat (PermenPANRB 14/2017): the mean score
converted to 25-100 and graded A (Sangat Baik) from 88.31, B (Baik) from 76.61, C (Kurang Baik) from
65.00, else D (Tidak Baik). The regulation scores each element 1-4; BAMSOS asks one question on a
1-5 scale, so a mean m converts as 25 + (m - 1) x 18.75, which keeps 1 -> 25 and the top -> 100.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from shared.runtime.errors import ConfigError
from shared.sop.contracts import NoticeKind

TICKET_TOKEN = re.compile(r"\bBMS[\s\-_.]*(\d{6})[\s\-_.]*(\d{4,})\b", re.IGNORECASE)
STATUS_WORDS = re.compile(
    r"\b(cek|cek+|check|cik|lihat|liat|status|stat+us|stts|sts|tiket|tiketnya|posisi|sampai mana|gimana)\b",
    re.IGNORECASE,
)
# Besides the ticket and the status words, a status request has at most this many words ("min",
# "kak", "tolong", "saya", "sudah sampai mana ya"...).
MAX_OTHER_WORDS = 5
# Words that are a whole rating, lower case; the scale is 1 (worst) to 5 (best).
RATING_WORDS: dict[str, int] = {
    "sangat puas": 5,
    "puas sekali": 5,
    "sangat baik": 5,
    "mantap": 5,
    "puas": 4,
    "baik": 4,
    "cukup": 3,
    "cukup puas": 3,
    "biasa": 3,
    "biasa saja": 3,
    "kurang": 2,
    "kurang puas": 2,
    "kurang baik": 2,
    "tidak puas": 1,
    "tdk puas": 1,
    "gak puas": 1,
    "nggak puas": 1,
    "sangat tidak puas": 1,
    "buruk": 1,
}
RATING_NUMBER = re.compile(r"^\s*([1-5])\s*(?:(?:/|dari|of)\s*5)?\s*(?:bintang)?\s*[.!]*\s*$", re.IGNORECASE)
STARS = re.compile(r"^\s*([⭐★]\ufe0f?\s*){1,5}\s*$")
SKM_SCALE = (1, 5)
GRADES = (
    (88.31, "A", "Sangat Baik"),
    (76.61, "B", "Baik"),
    (65.00, "C", "Kurang Baik"),
    (0.0, "D", "Tidak Baik"),
)


def status_request(text: str) -> str | None:
    """The ticket a status request names, written the standard way; None for anything else."""
    found = TICKET_TOKEN.search(text)
    if found is None or len(text) > 120:
        return None
    rest = TICKET_TOKEN.sub(" ", text)
    if not STATUS_WORDS.search(rest) and rest.strip(" ?.!,:") != "":
        return None
    # "and little else": a question that merely mentions its ticket is a question.
    others = re.findall(r"[^\W\d_]+", STATUS_WORDS.sub(" ", rest))
    if len(others) > MAX_OTHER_WORDS:
        return None
    return f"BMS-{found.group(1)}-{found.group(2)}"


def rating(text: str) -> int | None:
    """The score a message that is only a rating gives, 1-5; None for anything else."""
    cleaned = text.strip().lower().strip(".!")
    if (number := RATING_NUMBER.match(cleaned)) is not None:
        return int(number.group(1))
    if STARS.match(text.strip()):
        return sum(1 for ch in text if ch in "⭐★")
    return RATING_WORDS.get(" ".join(cleaned.split()))


def skm_index(mean: float) -> float:
    """A mean score on the 1-5 scale as the SKM's 25-100 index."""
    return 25 + (mean - 1) * 75 / (SKM_SCALE[1] - SKM_SCALE[0])


def skm_grade(index: float) -> tuple[str, str]:
    """The SKM's letter and its meaning for an index."""
    return next((letter, words) for bound, letter, words in GRADES if index >= bound)


# --- the notices' texts -----------------------------------------------------------------------

DEFAULT_TEMPLATES = Path(__file__).with_name("notices.yaml")
# What each notice's template may use; a template naming anything else is refused at start.
FIELDS: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.acknowledged: frozenset({"ticket", "standard_minutes"}),
    NoticeKind.status: frozenset({"ticket", "step", "unit", "since", "due"}),
    NoticeKind.survey: frozenset({"ticket"}),
    NoticeKind.thanks: frozenset({"ticket", "rating"}),
    NoticeKind.unknown_ticket: frozenset({"ticket"}),
}
ANSWERED = "answered"  # the status text of a case already answered, with {ticket} and {answered_at}
# Values of the fields' kinds (times and names are text, the minutes and the rating numbers), to try
# each template on at start.
SAMPLE: dict[str, object] = {
    "ticket": "BMS-261130-0001",
    "standard_minutes": 5,
    "step": "Informasi pelayanan",
    "unit": "Admin BAMSOS",
    "since": "30-11-2026 09.00 WIB",
    "due": "30-11-2026 09.05 WIB",
    "rating": 5,
    "answered_at": "30-11-2026 09.05 WIB",
}


@dataclass(frozen=True)
class Templates:
    texts: dict[str, str]

    def render(self, kind: NoticeKind | str, **fields: object) -> str:
        return self.texts[str(kind)].format(**fields).strip()


def load_templates(path: Path | None = None) -> Templates:
    """Read and check the notices' templates: every kind present, no unknown field."""
    path = path or DEFAULT_TEMPLATES
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"notice templates {path}: cannot read them: {e}") from e
    allowed = {str(k): v for k, v in FIELDS.items()} | {ANSWERED: frozenset({"ticket", "answered_at"})}
    if not isinstance(raw, dict):
        raise ConfigError(f"notice templates {path}: expected a mapping of kind -> text")
    problems = [f"missing template '{kind}'" for kind in allowed if not isinstance(raw.get(kind), str)]
    problems += [f"unknown kind '{kind}'" for kind in raw if kind not in allowed]
    for kind, text in raw.items():
        if kind in allowed and isinstance(text, str):
            try:
                named = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
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
