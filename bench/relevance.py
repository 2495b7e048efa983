"""Ranking-quality measures over graded judgements, and the BM25 keyword baseline.

Judgements grade each candidate 2 (the exact complement), 1 (partly relevant) or 0
(anything not graded). Given one ranked list of candidate keys and the grades of a need:

- ``ndcg_at_k``: normalised discounted cumulative gain with the exponential gain
  ``2**grade - 1`` (an exact complement is worth three partly relevant ones) and the
  ``log2(rank + 1)`` discount; the ideal ranking is every graded candidate by grade.
- ``reciprocal_rank``: ``1 / rank`` of the first exact complement, 0 if none is ranked.
- ``hit_at_k``: an exact complement is among the first ``k``.

``BM25`` is Okapi BM25 (k1 = 1.2, b = 0.75, the non-negative idf of Lucene) over
lowercase word tokens, without stemming, stop words or synonyms: the plain keyword search
the engine must beat.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

EXACT = 2
_TOKEN = re.compile(r"\w+")


def gain(grade: int) -> float:
    return float(2**grade - 1)


def dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain of grades in ranked order (rank 1 first)."""
    return sum(gain(g) / math.log2(rank + 1) for rank, g in enumerate(grades, start=1))


def ndcg_at_k(ranking: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """NDCG@k of ``ranking`` under ``grades`` (ungraded keys count 0); 0 when nothing is
    relevant, so a need without relevant candidates cannot be passed by ranking nothing."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(key, 0) for key in ranking[:k]]) / ideal


def first_exact_rank(ranking: Sequence[str], grades: Mapping[str, int]) -> int | None:
    for rank, key in enumerate(ranking, start=1):
        if grades.get(key, 0) >= EXACT:
            return rank
    return None


def reciprocal_rank(ranking: Sequence[str], grades: Mapping[str, int]) -> float:
    rank = first_exact_rank(ranking, grades)
    return 1 / rank if rank else 0.0


def hit_at_k(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> bool:
    rank = first_exact_rank(ranking, grades)
    return rank is not None and rank <= k


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class BM25:
    """Okapi BM25 over a fixed set of documents (key -> text)."""

    def __init__(self, documents: Mapping[str, str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.terms = {key: Counter(tokens(text)) for key, text in documents.items()}
        self.lengths = {key: sum(counts.values()) for key, counts in self.terms.items()}
        self.average_length = (
            sum(self.lengths.values()) / len(self.lengths) if self.lengths else 0.0
        )
        self.document_frequency: Counter[str] = Counter()
        for counts in self.terms.values():
            self.document_frequency.update(counts.keys())

    def idf(self, term: str) -> float:
        n = len(self.terms)
        df = self.document_frequency.get(term, 0)
        return math.log((n - df + 0.5) / (df + 0.5) + 1)

    def score(self, query: str, key: str) -> float:
        counts = self.terms[key]
        norm = self.k1 * (1 - self.b + self.b * self.lengths[key] / self.average_length)
        total = 0.0
        for term in dict.fromkeys(tokens(query)):  # each query term once
            tf = counts.get(term, 0)
            if tf:
                total += self.idf(term) * tf * (self.k1 + 1) / (tf + norm)
        return total

    def rank(self, query: str, exclude: frozenset[str] = frozenset()) -> list[str]:
        """Documents with a positive score, best first; ties by key."""
        scored = [(self.score(query, key), key) for key in self.terms if key not in exclude]
        return [key for score, key in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
