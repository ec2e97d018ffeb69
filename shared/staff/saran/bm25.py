"""Okapi BM25 over an inverted index that grows one document at a time.

Why not `rank-bm25`: it scores a query by walking every document (a Python loop of dictionary
look-ups per query term: some 100 ms at 100,000 answers), and it takes its corpus once, so each
sent answer would rebuild it. Here the postings are compact arrays (6 bytes a posting) that a new
document is appended to, and a query term is one numpy operation over its postings, read in place.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

K1 = 1.2
B = 0.75

Scores = NDArray[np.float32]


@dataclass
class _Postings:
    docs: array[int] = field(default_factory=lambda: array("I"))
    freqs: array[int] = field(default_factory=lambda: array("H"))


class Index:
    """Documents are numbered 0, 1, 2… in the order they are added. Not thread-safe: a caller that
    adds while another scores holds a lock (an array being read cannot grow)."""

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

    def scores(self, query: Iterable[str]) -> Scores:
        """Every document's BM25 score for the query, 0 where no term is shared (a term repeated in
        the query counts once)."""
        n = len(self._lengths)
        out = np.zeros(n, dtype=np.float32)
        found = [self._postings[t] for t in set(query) if t in self._postings]
        if not found:
            return out
        lengths = np.frombuffer(self._lengths, dtype=np.uint32)
        norm = (K1 * (1 - B + B * lengths / (self._total_length / n or 1.0))).astype(np.float32)
        for postings in found:
            docs = np.frombuffer(postings.docs, dtype=np.uint32)
            tf = np.frombuffer(postings.freqs, dtype=np.uint16).astype(np.float32)
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            out[docs] += idf * tf * (K1 + 1) / (tf + norm[docs])
        return out

    def memory_bytes(self) -> int:
        """The postings' and lengths' arrays, in bytes (the dictionary of terms not counted)."""
        arrays = sum(len(p.docs) * 4 + len(p.freqs) * 2 for p in self._postings.values())
        return arrays + len(self._lengths) * 4


def best(scores: Scores, k: int) -> list[tuple[int, float]]:
    """The k highest-scoring documents with a score above 0, best first; a tie goes to the later
    document (a newer answer follows the rules in force)."""
    hits = np.flatnonzero(scores > 0)
    if len(hits) > k:
        hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
    ranked = sorted(hits.tolist(), key=lambda doc: (-float(scores[doc]), -doc))
    return [(doc, float(scores[doc])) for doc in ranked]
