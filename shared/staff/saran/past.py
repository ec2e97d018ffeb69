"""The office's own answered cases as a search index, kept in step with the database.

The database is the truth: at start the index reads every answered case once (about 4 s for
100,000, see docs/saran-bench.txt), then, when asked and at most every `REFRESH_SECONDS`, only the
cases answered since the last read, so a sent answer is found within a minute and a restart loses
nothing (no second copy on disk to fall out of step, or to keep citizens' texts in). The reread
window overlaps the last by `OVERLAP`: an answer committed late with an earlier `replied_at` is
still found, once.

The index holds terms and case ids only; the texts shown (question and answer, masked) are read
for the three best when asked, so an erased case disappears from the suggestions with it.

Offices: the cases are read by `_answered`; when inquiries carry their office, it takes the office
and the console keeps one `PastAnswers` per office.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Engine

from shared.privacy import mask_personal
from shared.runtime.storage import inquiries
from shared.staff.saran.bm25 import Index, best
from shared.staff.saran.suggestion import Suggestion

REFRESH_SECONDS = 30.0
OVERLAP = timedelta(minutes=2)
QUESTION_WEIGHT = 2  # the citizen's words are what a new question resembles; the answer adds its terms
SERVICE_BOOST = 0.5
TOPIC_BOOST = 0.25
TITLE_CHARS = 80

Terms = Callable[[str], list[str]]


class PastAnswers:
    """Answered cases of one office, searchable by BM25 on their question and answer."""

    def __init__(self, engine: Engine, terms: Terms, zone: tzinfo = UTC) -> None:
        """`terms` is the suggester's (`Suggester.terms`), so both sides of a search match."""
        self._engine = engine
        self._terms = terms
        self._zone = zone
        self._index = Index()
        self._ids: list[str] = []
        # Each document's service and topic, as small codes, so a boost is one vector operation.
        self._services = array("B")
        self._topics = array("B")
        self._codes: dict[str | None, int] = {None: 0}
        self._known: set[str] = set()
        self._since: datetime | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()  # the index, between a refresh and the searches
        self._refreshing = threading.Lock()  # one refresh at a time

    def __len__(self) -> int:
        return len(self._ids)

    def refresh(self, now: float) -> int:
        """Read the cases answered since the last read (all of them the first time); returns how
        many were added. `now` is a monotonic clock reading, for `refresh_if_due`."""
        with self._refreshing:
            return self._read_since_last(now)

    def refresh_if_due(self, now: float) -> None:
        """Refresh when the last read is older than `REFRESH_SECONDS` (and no other is under way)."""
        if now - self._read_at >= REFRESH_SECONDS and self._refreshing.acquire(blocking=False):
            try:
                self._read_since_last(now)
            finally:
                self._refreshing.release()

    def _read_since_last(self, now: float) -> int:
        query = _answered(self._since - OVERLAP if self._since else None)
        added = 0
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                if row.inquiry_id in self._known:
                    continue
                with self._lock:
                    self._index.add(self._terms(row.text) * QUESTION_WEIGHT + self._terms(row.reply_text))
                    self._ids.append(row.inquiry_id)
                    self._services.append(self._code(row.service))
                    self._topics.append(self._code(row.topic))
                    self._known.add(row.inquiry_id)
                self._since = max(self._since or row.replied_at, row.replied_at)
                added += 1
        self._read_at = now
        return added

    def search(self, query: list[str], service: str | None, topic: str | None, k: int) -> list[Suggestion]:
        """The k answered cases most like the query, the case's service and topic boosted; their
        texts read now and masked."""
        with self._lock:
            scores = self._index.scores(query)
            scores *= self._boost(self._services, service, SERVICE_BOOST)
            scores *= self._boost(self._topics, topic, TOPIC_BOOST)
            top = [(self._ids[doc], score) for doc, score in best(scores, k)]
        if not top:
            return []
        columns = (inquiries.c.inquiry_id, inquiries.c.ticket, inquiries.c.service, inquiries.c.text)
        query_rows = sa.select(*columns, inquiries.c.reply_text, inquiries.c.replied_at).where(
            inquiries.c.inquiry_id.in_([case for case, _ in top])
        )
        with self._engine.connect() as conn:
            rows = {row.inquiry_id: row for row in conn.execute(query_rows)}
        return [self._suggestion(rows[case], score) for case, score in top if case in rows]

    def _boost(self, codes: array[int], value: str | None, weight: float) -> NDArray[np.float32] | float:
        """1 + weight for the documents whose code is `value`'s, else 1. A new array: no view of
        `codes` outlives the call (an array being read cannot grow)."""
        if value is None or value not in self._codes:
            return 1.0
        same = np.frombuffer(codes, dtype=np.uint8) == self._codes[value]
        boost: NDArray[np.float32] = (1 + weight * same).astype(np.float32)
        return boost

    def _code(self, value: str | None) -> int:
        return self._codes.setdefault(value, len(self._codes))

    def memory_bytes(self) -> int:
        """The index's arrays (the ids and the term dictionary are not counted; see the bench)."""
        return self._index.memory_bytes()

    def _suggestion(self, row: Any, score: float) -> Suggestion:
        question = " ".join(mask_personal(row.text).split())
        title = question if len(question) <= TITLE_CHARS else question[: TITLE_CHARS - 1] + "…"
        return Suggestion(
            sumber="jawaban",
            judul=title,
            layanan=row.service,
            skor=round(score, 2),
            teks=mask_personal(row.reply_text),
            kunci="jawaban",
            tiket=row.ticket,
            tanggal=row.replied_at.astimezone(self._zone).date(),
            pertanyaan=question,
        )


def _answered(since: datetime | None) -> sa.Select[tuple[object, ...]]:
    """The answered cases (replied since `since`, if given), oldest first."""
    c = inquiries.c
    query = sa.select(c.inquiry_id, c.text, c.reply_text, c.service, c.topic, c.replied_at).where(
        c.reply_text.is_not(None), c.replied_at.is_not(None)
    )
    if since is not None:
        query = query.where(c.replied_at >= since)
    return query.order_by(c.replied_at, c.inquiry_id).execution_options(yield_per=5000)
