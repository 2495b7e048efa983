"""The ranking bench's verdicts: what counts as met, and the expiry dates it relies on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bench import judged_set, ranking_bench
from bench.judged_set import Need

NEED = Need("n", "expired", "searcher", "", {"a": 2, "b": 1}, ("old",))


def test_measure_counts_expired_profiles_in_the_top_ten() -> None:
    m = ranking_bench.measure(["old", "b", "a"], NEED)
    assert m["expired_in_top_10"] == 1
    assert m["first_exact_rank"] == 3
    assert m["mrr"] == pytest.approx(1 / 3)
    assert m["hit_at_1"] == 0.0
    assert m["hit_at_10"] == 1.0
    assert m["top_3"] == ["old (0)", "b (1)", "a (2)"]


def _summary(ndcg: float, hit10: float) -> dict[str, float]:
    return {"ndcg_at_10": ndcg, "hit_at_10": hit10, "hit_at_1": 0.0, "mrr": 0.0}


def test_aims_flag_the_overall_floor_and_any_class_below_the_baseline() -> None:
    by_class = {
        "all": {"engine": _summary(0.81, 0.9), "bm25": _summary(0.7, 0.9)},
        "plain": {"engine": _summary(0.9, 1.0), "bm25": _summary(0.9, 1.0)},
        "synonym": {"engine": _summary(0.6, 1.0), "bm25": _summary(0.61, 1.0)},
    }
    verdicts = {a["aim"].split(":")[0]: a["met"] for a in ranking_bench.aims(by_class)}
    assert verdicts == {
        "NDCG@10 >= 0.80": True,
        "hit@10 >= 0.90": True,
        "plain": True,  # a tie is not worse
        "synonym": False,
    }


def test_the_bench_refuses_to_run_once_an_expiry_date_has_flipped() -> None:
    judged = judged_set.load()
    ranking_bench.check_dates(judged, datetime(2026, 12, 7, tzinfo=UTC))
    with pytest.raises(ValueError, match="listed as expired but is not"):
        ranking_bench.check_dates(judged, datetime(2019, 1, 1, tzinfo=UTC))
    fermentation = next(n for n in judged.needs if n.id == "precision-fermentation")
    graded_late = replace(fermentation, grades={**fermentation.grades, "ferm-fi-expired": 2})
    flipped = replace(judged, needs=(graded_late,))
    with pytest.raises(ValueError, match="has an expired offer"):
        ranking_bench.check_dates(flipped, datetime(2026, 12, 7, tzinfo=UTC))
    assert judged_set.expired_offers(judged.profiles["ferm-es-centro"], date(2027, 7, 1))
