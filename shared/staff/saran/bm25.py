"""Okapi BM25 over an inverted index that grows one document at a time.

Why not `rank-bm25`: it scores a query by walking every document (a Python loop of dictionary
look-ups per query term: some 100 ms at 100,000 answers), and it takes its corpus once, so each
sent answer would rebuild it. Here the postings are compact arrays (6 bytes a posting), a document
is added in place, and a query touches only the documents that share a term with it. Terms carried
by more than a tenth of the documents (and 5,000) (low weight, long lists) only add to documents a rarer term
already found, which bounds a query's time however large the office's history grows.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

K1 = 1.2
B = 0.75
# A term in more than this share of the documents, and this many, only re-scores found ones.
_COMMON_SHARE = 0.1
_COMMON_COUNT = 5000


@dataclass
class _Postings:
    docs: array[int] = field(default_factory=lambda: array("I"))
    freqs: array[int] = field(default_factory=lambda: array("H"))


class Index:
    """Documents are numbered 0, 1, 2… in the order they are added."""

    def __init__(self) -> None:
        self._postings: dict[str, _Postings] = {}
        self._lengths = array("I")
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, terms: Iterable[str]) -> int:
        """Index a document's terms; returns its number."""
        number = len(self._lengths)
        counts = Counter(terms)
        for term, count in counts.items():
            postings = self._postings.setdefault(term, _Postings())
            postings.docs.append(number)
            postings.freqs.append(min(count, 65535))
        length = sum(counts.values())
        self._lengths.append(length)
        self._total_length += length
        return number

    def scores(self, query: Iterable[str]) -> dict[int, float]:
        """BM25 score of every document sharing a term with the query (a term repeated in the query
        counts once)."""
        n = len(self._lengths)
        if n == 0:
            return {}
        average = self._total_length / n or 1.0
        found = [self._postings[t] for t in set(query) if t in self._postings]
        found.sort(key=lambda p: len(p.docs))  # rarest first
        scores: dict[int, float] = {}
        for postings in found:
            df = len(postings.docs)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            only_found = bool(scores) and df > max(_COMMON_SHARE * n, _COMMON_COUNT)
            lengths = self._lengths
            for doc, tf in zip(postings.docs, postings.freqs, strict=True):
                if only_found and doc not in scores:
                    continue
                norm = K1 * (1 - B + B * lengths[doc] / average)
                scores[doc] = scores.get(doc, 0.0) + idf * tf * (K1 + 1) / (tf + norm)
        return scores

    def memory_bytes(self) -> int:
        """The postings' and lengths' arrays, in bytes (the dictionary of terms not counted)."""
        arrays = sum(
            p.docs.buffer_info()[1] * 4 + p.freqs.buffer_info()[1] * 2 for p in self._postings.values()
        )
        return arrays + len(self._lengths) * 4


def best(scores: Mapping[int, float], k: int) -> list[tuple[int, float]]:
    """The k highest (document, score) pairs, best first; a tie goes to the later document (a newer
    answer follows the rules in force)."""
    return heapq.nlargest(k, scores.items(), key=lambda pair: (pair[1], pair[0]))
