"""The answer templates as search documents, and the template half of a suggestion.

The templates themselves are the console's (`shared/staff/answers.yaml`, read by
`services/console/answers.py`); they arrive here as plain `Template`s so this layer reads no file
of the services above it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from shared.sop.classify import classify
from shared.staff.saran.bm25 import Index, best
from shared.staff.saran.text import Terms

TITLE_WEIGHT = 5  # a template's title says what it answers; its body says much else too
SERVICE_BOOST = 1.0  # a template of the case's service scores up to twice as much
TOPIC_BOOST = 2.0  # and one of the case's topic (as the classifier reads the template) twice again


@dataclass(frozen=True)
class Template:
    """One answer template: its service code (None for the general ones), title, regulation, text."""

    layanan: str | None
    judul: str
    dasar: str
    teks: str

    @property
    def key(self) -> str:
        """A stable, readable code for metrics and the laporan: "ktp_el/syarat-ktp-el-baru"."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.judul.casefold()).strip("-")
        return f"{self.layanan or 'umum'}/{slug}"


class TemplateIndex:
    """BM25 over the templates' titles (weighted) and texts."""

    def __init__(self, templates: Iterable[Template], terms: Terms) -> None:
        self.templates = list(templates)
        self._index = Index()
        self._topics: list[str | None] = []
        for template in self.templates:
            self._index.add(terms(template.judul) * TITLE_WEIGHT + terms(template.teks))
            # The template's topic as the router would read it: "sudah terbit, silakan diambil" is
            # dokumen_terbit. Read from its words, so a reworded template keeps a true topic.
            topic = classify(f"{template.judul}. {template.teks}", terms.rules).topic
            self._topics.append(topic.value if topic else None)

    def search(
        self, query: list[str], services: dict[str, float], topics: dict[str, float], k: int
    ) -> list[tuple[Template, float]]:
        """The k best templates for the query's terms; `services` and `topics` weigh each code in
        0..1 (the case's own 1, a guessed one the classifier's confidence)."""
        scores = self._index.scores(query)
        for doc in range(len(scores)):
            service_weight = services.get(self.templates[doc].layanan or "", 0.0)
            topic_weight = topics.get(self._topics[doc] or "", 0.0)
            scores[doc] *= 1 + SERVICE_BOOST * service_weight + TOPIC_BOOST * topic_weight
        return [(self.templates[doc], score) for doc, score in best(scores, k)]
