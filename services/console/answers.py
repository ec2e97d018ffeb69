"""Answer templates per service, with the regulation behind each (`shared/staff/answers.yaml`).

The SOP asks for answers "sesuai peraturan" in plain polite language: the officer picks a template,
edits it, sends it. The file is read and checked once at start; a bad one stops the console with
the reason, as the citizen notices' templates do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from shared import staff
from shared.laporan.bahasa import SERVICES
from shared.runtime.errors import ConfigError
from shared.sop.contracts import ANSWER_LIMIT, Service
from shared.staff.saran import Template

ANSWERS_FILE = Path(staff.__file__).with_name("answers.yaml")
GENERAL = "Umum"


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    judul: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    dasar: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
    # The reply carries the ticket after the text, within the reply's TEXT_LIMIT.
    teks: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANSWER_LIMIT)]


class AnswerBook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    umum: list[Answer] = []
    layanan: dict[Service, list[Answer]] = {}

    def for_service(self, service: str | None) -> list[tuple[str, Answer]]:
        """(group, template) for a case: its service's templates, then the general ones. A case
        whose service is not known yet (the admin's triage) gets every service's."""
        known = {s.value: s for s in Service}
        groups = [known[service]] if service in known else list(self.layanan)
        out = [(SERVICES.get(s.value, s.value), a) for s in groups for a in self.layanan.get(s, [])]
        return out + [(GENERAL, a) for a in self.umum]


def load_answers(path: Path | None = None) -> AnswerBook:
    path = path or ANSWERS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"answer templates {path}: cannot read them: {e}") from e
    try:
        return AnswerBook.model_validate(raw or {})
    except ValidationError as e:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in e.errors(include_input=False, include_url=False)
        ]
        raise ConfigError(f"answer templates {path} are not valid:\n" + "\n".join(lines)) from e


def as_templates(book: AnswerBook) -> list[Template]:
    """The templates as the suggestions search them (`shared/staff/saran/`): general ones without
    a service."""
    general = [Template(None, a.judul, a.dasar, a.teks) for a in book.umum]
    return general + [
        Template(s.value, a.judul, a.dasar, a.teks) for s, group in book.layanan.items() for a in group
    ]
