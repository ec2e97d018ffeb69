"""The case page's "Saran jawaban": the answer suggestions for the case (shared/staff/saran/), and
recording which one the officer inserted when the answer is sent.

The office's past answers are read in a background thread at start (a large office's history
takes a while; until then the page suggests templates and the past answers read so far).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import FormData

from services.console.answers import AnswerBook, as_templates
from shared.runtime import logs
from shared.runtime.settings import Settings
from shared.sop.classify import load_rules
from shared.staff.actions import StaffTask
from shared.staff.saran import PastAnswers, Suggester, Suggestion
from shared.staff.saran.suggestion import Source
from shared.staff.saran.usage import SuggestionMetrics, record_answer

log = logs.get("bamsos.console")


def build_suggester(settings: Settings, engine: Engine, answers: AnswerBook) -> Suggester:
    """The suggester over the office's templates and past answers, the first read started."""
    suggester = Suggester(as_templates(answers), rules=load_rules(settings.classify_rules))
    past = PastAnswers(engine, suggester.terms, ZoneInfo(settings.timezone))
    suggester.past = past
    threading.Thread(target=_first_read, args=(past,), name="saran-first-read", daemon=True).start()
    return suggester


def _first_read(past: PastAnswers) -> None:
    try:
        added = past.refresh(time.monotonic())
    except SQLAlchemyError as e:  # the next suggestion asked retries
        log.warning("past answers not read", error=type(e).__name__)
        return
    log.info("past answers read", cases=added)


def suggestions_for(suggester: Suggester, task: StaffTask) -> list[Suggestion]:
    """The case's suggestions; the templates alone if the database does not answer now."""
    try:
        return suggester.suggest(task.text, service=task.service, topic=task.topic)
    except SQLAlchemyError as e:
        log.warning("past answers left out", error=type(e).__name__)
        past, suggester.past = suggester.past, None
        try:
            return suggester.suggest(task.text, service=task.service, topic=task.topic)
        finally:
            suggester.past = past


def inserted_from(form: FormData) -> Suggestion | None:
    """The suggestion the officer inserted, as the page's hidden fields tell it (none: None)."""
    key, raw = str(form.get("saran_kunci", "")), form.get("saran_sumber", "")
    if not key or raw not in ("templat", "jawaban"):
        return None
    source: Source = "templat" if raw == "templat" else "jawaban"
    text = str(form.get("saran_teks", ""))
    return Suggestion(sumber=source, judul="", layanan=None, skor=0.0, teks=text, kunci=key[:120])


def record_sent(
    engine: Engine,
    metrics: SuggestionMetrics,
    task: StaffTask,
    inserted: Suggestion | None,
    text: str,
    at: datetime,
) -> None:
    """Count the answer sent by the suggestion in it; a failure here never fails the sending."""
    try:
        with engine.begin() as db:
            record_answer(
                db,
                metrics,
                task_id=task.task_id,
                inquiry_id=task.inquiry_id,
                service=task.service,
                inserted=inserted,
                sent_text=text,
                at=at,
            )
    except SQLAlchemyError as e:
        log.warning("suggestion use not recorded", task_id=task.task_id, error=type(e).__name__)
