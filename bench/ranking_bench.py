"""Benchmark: ranking quality of partner suggestions on a judged set of realistic profiles.

The judged set (``bench/judged/``, loaded by ``bench.judged_set``) has 300+ profiles of
SMEs, clusters, research organisations, universities, investors and public bodies from
30+ countries, written in their own languages, and 15 needs, each the one need of a
searcher profile, graded 2 (exact complement) / 1 (partly relevant) / 0 from the domain
before the engine was run on them. Every need belongs to one query class: ``plain``,
``inflection``, ``synonym``, ``stuffing`` (profiles that repeat the need's words without
offering it), ``expired`` (exact offers whose ``valid_until`` has passed: graded 0),
``s3_phrase`` (multi-word S3 priority keywords) and ``other_language``.

Engine: the real endpoint ``GET /v1/profiles/{searcher}/partners?limit=100`` of a
matching service over the profiles as its consumer would store them. Baseline, in the
same run: BM25 (``bench.relevance.BM25``) of the searcher's needs text against each
profile's offers text (``profiles.rules.needs_text`` / ``offers_text``, the texts the
engine indexes), top 100. Both are scored with NDCG@10, hit@1, hit@10 and MRR
(``bench.relevance``), per need, per query class and overall, and checked against the
aims: NDCG@10 >= 0.80 and hit@10 >= 0.90 overall, and the engine's NDCG@10 not below the
baseline's in any class.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean
from typing import Any

from synergia_devstack.ports import free_port
from synergia_matching.profiles import rules

from bench import judged_set, matching_world
from bench.judged_set import JudgedSet, Need
from bench.loadgen import RawConnection
from bench.processes import AppProcess, running
from bench.relevance import BM25, first_exact_rank, hit_at_k, ndcg_at_k, reciprocal_rank
from bench.stack import BenchStack, bearer
from bench.stats import table

DEPTH = 100  # one page of the endpoint; an exact complement below it counts as not found
AIM_NDCG_AT_10 = 0.80
AIM_HIT_AT_10 = 0.90
SYSTEMS = ("engine", "bm25")
METRICS = ("ndcg_at_10", "hit_at_1", "hit_at_10", "mrr")


def check_dates(judged: JudgedSet, today: datetime) -> None:
    """The expired class means something only while its dates are on the right side of
    today: every listed expired profile has an expired offer, no graded one has."""
    day = today.date()
    for need in judged.needs:
        for key in need.expired:
            if not judged_set.expired_offers(judged.profiles[key], day):
                raise ValueError(f"{need.id}: {key} is listed as expired but is not")
        for key in need.grades:
            if judged_set.expired_offers(judged.profiles[key], day):
                raise ValueError(f"{need.id}: graded {key} has an expired offer")


def measure(ranking: Sequence[str], need: Need) -> dict[str, Any]:
    expired = set(need.expired)
    return {
        "ndcg_at_10": ndcg_at_k(ranking, need.grades, 10),
        "hit_at_1": float(hit_at_k(ranking, need.grades, 1)),
        "hit_at_10": float(hit_at_k(ranking, need.grades, 10)),
        "mrr": reciprocal_rank(ranking, need.grades),
        "first_exact_rank": first_exact_rank(ranking, need.grades),
        "expired_in_top_10": sum(1 for key in ranking[:10] if key in expired),
        "top_3": [f"{key} ({need.grades.get(key, 0)})" for key in ranking[:3]],
    }


def baseline_rankings(judged: JudgedSet) -> dict[str, list[str]]:
    events = {key: judged_set.actor_event(p) for key, p in judged.profiles.items()}
    # Everything the engine may match on, offered and free text alike (the engine weighs
    # them, the baseline does not).
    bm25 = BM25(
        {key: f"{rules.offers_text(e)}\n{rules.about_text(e)}" for key, e in events.items()}
    )
    return {
        need.id: bm25.rank(rules.needs_text(events[need.searcher]), frozenset({need.searcher}))[
            :DEPTH
        ]
        for need in judged.needs
    }


async def engine_ranking(http: RawConnection, judged: JudgedSet, need: Need) -> list[str]:
    keys = {str(judged_set.actor_id(k)): k for k in judged.profiles}
    path = f"/v1/profiles/{judged_set.actor_id(need.searcher)}/partners?limit={DEPTH}"
    status, payload = await http.request("GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {payload[:300]!r}")
    return [keys[item["actor_id"]] for item in json.loads(payload)["items"]]


def aggregate(per_need: dict[str, dict[str, Any]], needs: Sequence[Need]) -> dict[str, Any]:
    rows = [per_need[n.id] for n in needs]
    summary: dict[str, Any] = {m: mean(r[m] for r in rows) for m in METRICS}
    summary["needs"] = len(rows)
    summary["expired_in_top_10"] = sum(r["expired_in_top_10"] for r in rows)
    return summary


def aims(by_class: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    overall = by_class["all"]["engine"]
    checks = [
        {
            "aim": f"NDCG@10 >= {AIM_NDCG_AT_10:.2f}",
            "value": overall["ndcg_at_10"],
            "met": overall["ndcg_at_10"] >= AIM_NDCG_AT_10,
        },
        {
            "aim": f"hit@10 >= {AIM_HIT_AT_10:.2f}",
            "value": overall["hit_at_10"],
            "met": overall["hit_at_10"] >= AIM_HIT_AT_10,
        },
    ]
    for name, r in by_class.items():
        if name == "all":
            continue
        engine, bm25 = r["engine"]["ndcg_at_10"], r["bm25"]["ndcg_at_10"]
        checks.append(
            {
                "aim": f"{name}: NDCG@10 not below BM25 ({bm25:.3f})",
                "value": engine,
                "met": engine >= bm25,
            }
        )
    return checks


async def run(stack: BenchStack, log_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    judged = judged_set.load()
    check_dates(judged, datetime.now(UTC))
    events = [judged_set.actor_event(p) for p in judged.profiles.values()]
    database_url = await stack.fresh_database("matching", "ranking")
    topic_prefix = await stack.topics("ranking")
    await matching_world.load_profiles(database_url, events)
    rankings: dict[str, dict[str, list[str]]] = {"bm25": baseline_rankings(judged), "engine": {}}
    print(
        f"  judged set: {len(judged.profiles)} profiles, {len(judged.needs)} needs, "
        f"loaded in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    matching = AppProcess(
        "matching",
        free_port(),
        stack.service_env("matching", database_url, topic_prefix),
        log_path=log_dir / "ranking-matching.log",
    )
    http = RawConnection(matching.base_url, {**bearer("admin"), "Accept": "application/json"})
    try:
        async with running(matching):
            for need in judged.needs:
                rankings["engine"][need.id] = await engine_ranking(http, judged, need)
    finally:
        await http.close()
    per_need = {
        system: {n.id: measure(rankings[system][n.id], n) for n in judged.needs}
        for system in SYSTEMS
    }
    classes = [
        "all",
        *(c for c in judged_set.CLASSES if any(n.query_class == c for n in judged.needs)),
    ]
    by_class = {
        name: {
            system: aggregate(
                per_need[system], [n for n in judged.needs if name in ("all", n.query_class)]
            )
            for system in SYSTEMS
        }
        for name in classes
    }
    languages = sorted({str(p.get("lang")) for p in judged.profiles.values()})
    countries = sorted({str(p["country"]) for p in judged.profiles.values()})
    return {
        "profiles": len(judged.profiles),
        "candidates": len(judged.candidates()),
        "needs": len(judged.needs),
        "languages": languages,
        "countries": countries,
        "depth": DEPTH,
        "not_sent_to_engine": list(judged_set.NOT_SENT),
        "by_class": by_class,
        "per_need": {
            n.id: {"class": n.query_class, **{s: per_need[s][n.id] for s in SYSTEMS}}
            for n in judged.needs
        },
        "aims": aims(by_class),
    }


def _rank(value: int | None) -> str:
    return str(value) if value is not None else f">{DEPTH}"


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for name, r in report["by_class"].items():
        e, b = r["engine"], r["bm25"]
        rows.append(
            [
                name,
                int(e["needs"]),
                f"{e['ndcg_at_10']:.3f}",
                f"{b['ndcg_at_10']:.3f}",
                f"{e['hit_at_1']:.0%}",
                f"{b['hit_at_1']:.0%}",
                f"{e['hit_at_10']:.0%}",
                f"{b['hit_at_10']:.0%}",
                f"{e['mrr']:.3f}",
                f"{b['mrr']:.3f}",
                int(e["expired_in_top_10"]),
                int(b["expired_in_top_10"]),
            ]
        )
    title = (
        f"Ranking quality on the judged set: {report['profiles']} profiles in "
        f"{len(report['languages'])} languages from {len(report['countries'])} countries, "
        f"{report['needs']} graded needs: GET /v1/profiles/{{id}}/partners (engine) vs BM25"
    )
    text = table(
        title,
        [
            "class",
            "needs",
            "NDCG@10",
            "bm25",
            "hit@1",
            "bm25",
            "hit@10",
            "bm25",
            "MRR",
            "bm25",
            "expired@10",
            "bm25",
        ],
        rows,
    )
    need_rows = [
        [
            need_id,
            r["class"],
            f"{r['engine']['ndcg_at_10']:.3f}",
            f"{r['bm25']['ndcg_at_10']:.3f}",
            _rank(r["engine"]["first_exact_rank"]),
            _rank(r["bm25"]["first_exact_rank"]),
            ", ".join(r["engine"]["top_3"]),
        ]
        for need_id, r in report["per_need"].items()
    ]
    text += "\n" + table(
        "Per need (first exact: rank of the first grade-2 profile; top 3 with grades)",
        ["need", "class", "NDCG@10", "bm25", "1st exact", "bm25", "engine top 3"],
        need_rows,
    )
    text += "\nAims:\n" + "\n".join(
        f"  [{'met' if a['met'] else 'NOT MET'}] {a['aim']}: engine {a['value']:.3f}"
        for a in report["aims"]
    )
    text += "\nNot sent to the engine: " + "; ".join(report["not_sent_to_engine"])
    return text
