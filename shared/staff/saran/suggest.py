"""Answer suggestions: the templates and the office's past answers that best fit a question.

`Suggester.suggest(text, service, topic)` -> the 3 best templates (with their `dasar`), then the 3
most similar answered cases. Lexical, local and fast: no model, no network. How well and how fast:
README "Answer suggestions".
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from shared.sop.classify import Rules, classify, load_rules
from shared.staff.saran.past import PastAnswers
from shared.staff.saran.suggestion import Suggestion
from shared.staff.saran.templates import Template, TemplateIndex
from shared.staff.saran.text import Terms

TOP = 3
GENERAL_SERVICE = "lainnya"
QUERY_CHARS = 4000  # a citizen's text is at most this long (the contract); longer input is cut


class Suggester:
    """Suggestions from the templates and (when given) the office's past answers."""

    def __init__(
        self, templates: Iterable[Template], past: PastAnswers | None = None, rules: Rules | None = None
    ):
        self._rules = rules or load_rules()
        self.terms = Terms(self._rules)  # PastAnswers takes these too, so both sides match
        self.templates = TemplateIndex(templates, self.terms)
        self.past = past

    def suggest(
        self, text: str, service: str | None = None, topic: str | None = None, k: int = TOP
    ) -> list[Suggestion]:
        """Up to k templates, then up to k past answers, each best first. A text no template
        matches (empty, a greeting, emoji, numbers only) gets the general templates of `lainnya`
        ("please tell us more"), scored 0; nothing here raises on what a citizen wrote."""
        text = text[:QUERY_CHARS]
        query = self.terms(text)
        services, topics = self._weights(text, service, topic)
        found = self.templates.search(query, services, topics, k) if query else []
        if not found:
            found = [(t, 0.0) for t in self.templates.templates if t.layanan == GENERAL_SERVICE][:k]
        out = [_from_template(t, score) for t, score in found]
        if not query:
            return out
        if self.past is not None:
            self.past.refresh_if_due(time.monotonic())
            out += self.past.search(query, service or _likeliest(services), topic or _likeliest(topics), k)
        return out

    def _weights(
        self, text: str, service: str | None, topic: str | None
    ) -> tuple[dict[str, float], dict[str, float]]:
        """The case's service and topic, certain; what is missing, the classifier's guess at its
        confidence."""
        guess = classify(text, self._rules)
        services = {service: 1.0} if service else {}
        if not service and guess.service:
            services = {guess.service.value: guess.service_confidence}
        topics = {topic: 1.0} if topic else {}
        if not topic and guess.topic:
            topics = {guess.topic.value: guess.topic_confidence}
        return services, topics


def _likeliest(weights: dict[str, float]) -> str | None:
    return max(weights, key=weights.__getitem__) if weights else None


def _from_template(template: Template, score: float) -> Suggestion:
    return Suggestion(
        sumber="templat",
        judul=template.judul,
        layanan=template.layanan,
        skor=round(score, 2),
        teks=template.teks,
        kunci=template.key,
        dasar=template.dasar,
    )
