"""The ranking bench's measures against values computed by hand."""

from __future__ import annotations

import math

import pytest

from bench.relevance import BM25, dcg, hit_at_k, ndcg_at_k, reciprocal_rank

GRADES = {"a": 2, "b": 1, "c": 2}


def test_dcg_uses_exponential_gain_and_log2_discount() -> None:
    # (2^2-1)/log2(2) + (2^0-1)/log2(3) + (2^1-1)/log2(4) = 3 + 0 + 0.5
    assert dcg([2, 0, 1]) == pytest.approx(3.5)


def test_ndcg_of_a_mixed_ranking() -> None:
    # DCG  = 1/log2(2) + 0 + 3/log2(4) + 3/log2(5) = 1 + 1.5 + 1.2920297 = 3.7920297
    # IDCG = 3/log2(2) + 3/log2(3) + 1/log2(4)     = 3 + 1.8927893 + 0.5 = 5.3927893
    assert ndcg_at_k(["b", "x", "a", "c"], GRADES, 10) == pytest.approx(
        3.7920297 / 5.3927893, abs=1e-6
    )
    assert ndcg_at_k(["b", "x", "a", "c"], GRADES, 10) == pytest.approx(0.703166, abs=1e-6)


def test_ndcg_is_one_for_the_ideal_order_and_cut_at_k() -> None:
    assert ndcg_at_k(["a", "c", "b", "x"], GRADES) == pytest.approx(1.0)
    assert ndcg_at_k(["c", "a", "b"], GRADES) == pytest.approx(1.0)  # equal grades swap
    assert ndcg_at_k(["x", "y", "a", "c", "b"], GRADES, 2) == 0.0
    # k = 2: DCG = 0 + 3/log2(3); IDCG = 3 + 3/log2(3)
    expected = (3 / math.log2(3)) / (3 + 3 / math.log2(3))
    assert ndcg_at_k(["x", "a"], GRADES, 2) == pytest.approx(expected)
    assert expected == pytest.approx(0.386853, abs=1e-6)


def test_ndcg_without_relevant_profiles_is_zero() -> None:
    assert ndcg_at_k(["a", "b"], {}) == 0.0
    assert ndcg_at_k([], GRADES) == 0.0


def test_reciprocal_rank_counts_only_exact_complements() -> None:
    assert reciprocal_rank(["x", "b", "a"], GRADES) == pytest.approx(1 / 3)
    assert reciprocal_rank(["c"], GRADES) == 1.0
    assert reciprocal_rank(["b", "x"], GRADES) == 0.0
    assert reciprocal_rank([], GRADES) == 0.0


def test_hit_at_k() -> None:
    assert not hit_at_k(["x", "b", "a"], GRADES, 2)
    assert hit_at_k(["x", "b", "a"], GRADES, 3)
    assert not hit_at_k(["b"], GRADES, 10)


def test_bm25_scores_by_hand() -> None:
    bm25 = BM25(
        {
            "d1": "Battery recycling",
            "d2": "battery testing, battery",
            "d3": "textile recycling",
        }
    )
    # N = 3, avgdl = 7/3; idf(battery) = idf(recycling) = ln(1.5/2.5 + 1) = ln 1.6
    idf = math.log(1.6)
    assert bm25.idf("battery") == pytest.approx(idf)
    # d1: |d| = 2, norm = 1.2 * (0.25 + 0.75 * 2 / (7/3)) = 1.0714286; tf 1 -> 2.2 / 2.0714286
    d1 = 2 * idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 6 / 7))
    assert bm25.score("battery recycling", "d1") == pytest.approx(d1)
    assert bm25.score("battery recycling", "d1") == pytest.approx(0.998353, abs=1e-5)
    # d2: |d| = 3, norm = 1.4571429; tf(battery) = 2 -> 4.4 / 3.4571429
    assert bm25.score("battery recycling", "d2") == pytest.approx(0.598186, abs=1e-5)
    assert bm25.score("battery recycling", "d3") == pytest.approx(0.499176, abs=1e-5)
    # A repeated query word counts once.
    assert bm25.score("battery battery recycling", "d1") == pytest.approx(d1)
    assert bm25.rank("battery recycling") == ["d1", "d2", "d3"]
    assert bm25.rank("battery recycling", frozenset({"d1"})) == ["d2", "d3"]
    assert bm25.rank("photovoltaic") == []
