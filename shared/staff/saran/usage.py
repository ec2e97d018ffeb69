"""Learning from use: which suggestion an officer inserted into a sent answer, and whether edited.

The console calls `record_answer` when an officer sends an answer, with the suggestion they
inserted (or None). It writes one row per task (`answer_suggestions`, owned here; a retried send
writes nothing twice) and counts `bamsos_answer_suggestions_total{template, edited}`: `template` is
the template's key (`ktp_el/syarat-ktp-el-baru`), `jawaban` for a past answer, `tanpa` for an
answer written without a suggestion — the questions the templates don't serve. The laporan's
per-service table reads the rows (`shared.laporan.figures.templates_used`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from shared.runtime.storage import answer_suggestions
from shared.staff.saran.suggestion import Suggestion

WITHOUT = "tanpa"  # the answer was written without inserting a suggestion


@dataclass(frozen=True)
class SuggestionMetrics:
    inserted: Counter


def build_suggestion_metrics(registry: CollectorRegistry) -> SuggestionMetrics:
    """The suggestions' counter, registered in the console's registry."""
    return SuggestionMetrics(
        inserted=Counter(
            "bamsos_answer_suggestions_total",
            "Answers sent from the console by the suggestion inserted (template key, jawaban for a "
            "past answer, tanpa for none) and whether the officer edited it before sending.",
            ["template", "edited"],
            registry=registry,
        )
    )


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def record_answer(
    db: Connection,
    metrics: SuggestionMetrics | None,
    *,
    task_id: str,
    inquiry_id: str,
    service: str | None,
    inserted: Suggestion | None,
    sent_text: str,
    at: datetime,
) -> bool:
    """Record which suggestion (if any) went into the answer sent for a task, and whether the
    officer changed its text (spacing aside). True when recorded now, False when the task was
    already recorded (then the metric is not counted again)."""
    edited = inserted is not None and not _same_text(inserted.teks, sent_text)
    template = inserted.kunci if inserted is not None else WITHOUT
    row = {
        "task_id": task_id,
        "inquiry_id": inquiry_id,
        "service": service,
        "source": inserted.sumber if inserted is not None else WITHOUT,
        "template": inserted.kunci if inserted is not None and inserted.sumber == "templat" else None,
        "edited": edited,
        "sent_at": at,
    }
    written = db.execute(insert(answer_suggestions).values(**row).on_conflict_do_nothing()).rowcount
    if written and metrics is not None:
        metrics.inserted.labels(template, "ya" if edited else "tidak").inc()
    return bool(written)
