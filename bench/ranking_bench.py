"""Benchmark: ranking quality of partner suggestions with planted complementary partners.

A world of 5,000 actors: a background of demo actors (``bench.matching_world``), and M
searchers (200 by default), each with one need made of two field terms ("battery
recycling"), one planted partner whose offer answers that need, and four distractors
whose offers each share one plain word of the need with an unrelated term ("battery
testing", "metal recycling"). Every need is a distinct pair of terms.

How the planted offer words the need (cycled over the searchers):

- ``literal``: the need's own words, reordered ("recycling of battery");
- ``inflection``: other inflections of them ("recycled batteries");
- ``synonym``: synonyms from the field ("recovery of accumulators");
- ``paraphrase``: other words a person would understand but no thesaurus here lists
  ("reclaiming lithium cells"): where a lexical search is expected to fail.

Keeping it honest: planted partners and distractors are drawn from the same pool of demo
actors by the same rule (established in another country than the searcher, no NACE
section in common with it, any kind and size), keep that actor's own description,
keywords, competences and needs, and get random ids and registration dates; only their
offer text differs. Background actors may of course offer what a searcher needs too.

Measured with the real endpoint ``GET /v1/profiles/{searcher}/partners`` (the searcher's
needs against others' offers, with everything else the score has: mutual benefit,
cross-border, cross-sector, SME focus), first two pages of 100: hit@1, hit@10, MRR and
the mean rank of the planted partner. Baseline, on the same world in Python: plain
keyword overlap, the count of distinct lowercase words shared by the need and a
candidate's offers text (``profiles.rules.offers_text``, what the search indexes), ties
by actor id.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import mean
from typing import Any
from urllib.parse import quote

from synergia_devstack.demo.plan import ActorPlan, DemoSize, generate_actors
from synergia_devstack.ports import free_port
from synergia_matching.profiles import rules
from synergia_shared.events.registry import ActorRegisteredV1

from bench import matching_world
from bench.loadgen import RawConnection
from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer
from bench.stats import table

ACTORS = 5_000
SEARCHERS = 200
DISTRACTORS = 4
PAGES = 2  # of 100: ranks beyond 200 count as "not found"
PAGE = 100
KINDS = ("literal", "inflection", "synonym", "inflection", "synonym", "paraphrase")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Concept:
    literal: str  # as a need says it
    inflection: str  # same stem, other surface form
    synonym: str  # a synonym from the field's thesaurus, no word in common
    paraphrase: str  # what a person would understand, outside the thesaurus


CONCEPTS = (
    Concept("battery", "batteries", "accumulators", "lithium cells"),
    Concept("recycling", "recycled", "recovery", "reclaiming"),
    Concept("packaging", "packages", "containers", "boxes"),
    Concept("bioplastic", "bioplastics", "biopolymers", "compostable resins"),
    Concept("sensor", "sensors", "detectors", "measuring probes"),
    Concept("logistics", "logistic", "distribution", "freight forwarding"),
    Concept("composite", "composites", "carbon fibre", "laminates"),
    Concept("photovoltaic", "photovoltaics", "solar", "sunlight conversion"),
    Concept("robot", "robots", "cobots", "mechatronic arms"),
    Concept("textile", "textiles", "fabrics", "knitwear"),
    Concept("fertiliser", "fertilisers", "soil amendments", "crop nutrition"),
    Concept("waste", "wastes", "residues", "leftovers"),
    Concept("testing", "tested", "certification", "inspection"),
    Concept("prototype", "prototypes", "demonstrators", "mock-ups"),
    Concept("distributor", "distributors", "resellers", "import agents"),
    Concept("investor", "investors", "venture capital", "financiers"),
    Concept("manufacturer", "manufacturers", "fabricators", "factories"),
    Concept("coating", "coatings", "thin films", "varnishing"),
    Concept("metal", "metals", "alloys", "steelworks"),
    Concept("drone", "drones", "unmanned aerial vehicles", "quadcopters"),
    Concept("analytics", "analytical", "big data", "statistics"),
    Concept("semiconductor", "semiconductors", "microelectronics", "integrated circuits"),
    Concept("pharmaceutical", "pharmaceuticals", "drugs", "medicines"),
    Concept("laser", "lasers", "photonics", "optical beams"),
)
DESCRIPTIONS = (
    "Offered across Europe; references available on request.",
    "Available to partners in collaborative projects.",
    "Delivered by our own team, small and large series.",
)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _offer(title: str, rng: random.Random) -> dict[str, Any]:
    return {
        "type": "technology_offer",
        "title": title,
        "description": rng.choice(DESCRIPTIONS),
        "competences": [],
        "keywords": [],
    }


def _planted_title(kind: str, a: Concept, b: Concept) -> str:
    if kind == "literal":
        return f"{b.literal.capitalize()} of {a.literal}"
    if kind == "inflection":
        return f"{a.inflection.capitalize()} {b.inflection}"
    if kind == "synonym":
        return f"{b.synonym.capitalize()} of {a.synonym}"
    return f"{b.paraphrase.capitalize()} of {a.paraphrase}"


def _sections(plan: ActorPlan) -> set[str]:
    return {code[0] for code in plan.body.get("nace_codes", [])}


@dataclass
class Case:
    searcher: uuid.UUID
    planted: uuid.UUID
    kind: str
    need: str
    planted_offer: str
    distractors: list[uuid.UUID]


@dataclass
class RankingWorld:
    events: list[ActorRegisteredV1]
    cases: list[Case]


def build(actors: int, searchers: int, seed: int = 5) -> RankingWorld:
    rng = random.Random(f"ranking-bench/{seed}")
    pairs = [(a, b) for a in CONCEPTS for b in CONCEPTS if a != b]
    rng.shuffle(pairs)
    chosen: list[tuple[Concept, Concept]] = []
    used: set[frozenset[str]] = set()
    for a, b in pairs:  # every need a distinct pair of terms
        key = frozenset({a.literal, b.literal})
        if key not in used:
            used.add(key)
            chosen.append((a, b))
        if len(chosen) == searchers:
            break
    if len(chosen) < searchers:
        raise ValueError(f"at most {len(chosen)} distinct needs")
    special = searchers * (2 + DISTRACTORS)
    if actors <= special:
        raise ValueError(f"need more than {special} actors for {searchers} searchers")
    pool = generate_actors(seed, DemoSize(actors=special * 4, clusters=special * 4 // 250))
    rng.shuffle(pool)
    searcher_plans = [p for p in pool if p.kind == "sme" and p.body.get("offers")][:searchers]
    taken = {id(p) for p in searcher_plans}
    others = [p for p in pool if id(p) not in taken and p.kind != "public_authority"]
    events: list[ActorRegisteredV1] = []
    cases: list[Case] = []

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    for n, (plan, (a, b)) in enumerate(zip(searcher_plans, chosen, strict=True)):
        kind = KINDS[n % len(KINDS)]
        need = f"{a.literal} {b.literal}"
        body = {
            **plan.body,
            "needs": [
                {
                    "type": "technology_request",
                    "title": need.capitalize(),
                    "description": "",
                    "competences": [],
                    "keywords": [],
                }
            ],
        }
        searcher_id = new_id()
        events.append(matching_world.actor_event(replace(plan, body=body), searcher_id, rng))
        # Planted partner and distractors: the same rule for all, then one is planted.
        group: list[ActorPlan] = []
        for candidate in others:
            if candidate.country != plan.country and not (_sections(candidate) & _sections(plan)):
                group.append(candidate)
                if len(group) == 1 + DISTRACTORS:
                    break
        if len(group) < 1 + DISTRACTORS:
            raise RuntimeError("not enough pool actors for planted partners and distractors")
        others = [p for p in others if all(p is not g for g in group)]
        unrelated = [c for c in CONCEPTS if c not in (a, b)]
        titles = [_planted_title(kind, a, b)]
        for i in range(DISTRACTORS):
            other = rng.choice(unrelated).literal
            shared = (a if i % 2 == 0 else b).literal
            titles.append(
                f"{shared.capitalize()} {other}" if i < 2 else f"{other.capitalize()} {shared}"
            )
        ids = [new_id() for _ in group]
        for member, actor_id, title in zip(group, ids, titles, strict=True):
            member_body = {**member.body, "offers": [_offer(title, rng)]}
            events.append(
                matching_world.actor_event(replace(member, body=member_body), actor_id, rng)
            )
        cases.append(Case(searcher_id, ids[0], kind, need, titles[0], ids[1:]))
    background = matching_world.generate(actors - len(events), seed + 1000).events
    events += background
    return RankingWorld(events, cases)


def keyword_ranks(world: RankingWorld) -> dict[uuid.UUID, int]:
    """Rank of each planted partner by plain keyword overlap (ties by actor id)."""
    texts = [(e.actor_id, _words(rules.offers_text(e))) for e in world.events if e.active]
    ranks: dict[uuid.UUID, int] = {}
    for case in world.cases:
        need = _words(case.need)
        scored = sorted(
            ((-len(need & words), str(actor_id), actor_id) for actor_id, words in texts),
            key=lambda t: (t[0], t[1]),
        )
        position = 0
        for _, _, actor_id in scored:
            if actor_id == case.searcher:
                continue
            position += 1
            if actor_id == case.planted:
                ranks[case.searcher] = position
                break
    return ranks


async def search_rank(http: RawConnection, case: Case) -> int | None:
    """The planted partner's rank in the service's suggestions, None beyond the pages read."""
    cursor: str | None = None
    seen = 0
    for _ in range(PAGES):
        path = f"/v1/profiles/{case.searcher}/partners?limit={PAGE}"
        if cursor:
            path += f"&cursor={quote(cursor)}"
        status, payload = await http.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {payload[:300]!r}")
        page = json.loads(payload)
        for position, item in enumerate(page["items"], start=seen + 1):
            if item["actor_id"] == str(case.planted):
                return position
        seen += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    return None


def summarise(ranks: list[int | None], cap: int) -> dict[str, float]:
    capped = [r if r is not None else cap + 1 for r in ranks]
    found = [r for r in ranks if r is not None]
    return {
        "cases": len(ranks),
        "hit_at_1": sum(1 for r in found if r == 1) / len(ranks),
        "hit_at_10": sum(1 for r in found if r <= 10) / len(ranks),
        "mrr": sum(1 / r for r in found) / len(ranks),
        "mean_rank_capped": mean(capped),
        "beyond_cap": len(ranks) - len(found),
    }


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    actors: int = ACTORS,
    searchers: int = SEARCHERS,
) -> dict[str, Any]:
    started = time.perf_counter()
    world = await asyncio.to_thread(build, actors, searchers)
    database_url = await stack.fresh_database("matching", "ranking")
    topic_prefix = await stack.topics("ranking")
    await matching_world.load_profiles(database_url, world.events)
    baseline = await asyncio.to_thread(keyword_ranks, world)
    print(
        f"  world of {len(world.events):,} actors, {len(world.cases)} planted partners, "
        f"built in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    matching = AppProcess(
        "matching",
        free_port(),
        stack.service_env("matching", database_url, topic_prefix),
        log_path=log_dir / "ranking-matching.log",
    )
    http = RawConnection(matching.base_url, {**bearer("admin"), "Accept": "application/json"})
    service_ranks: dict[uuid.UUID, int | None] = {}
    try:
        async with running(matching):
            for case in world.cases:
                service_ranks[case.searcher] = await search_rank(http, case)
    finally:
        await http.close()
    cap = PAGES * PAGE
    by_kind: dict[str, Any] = {}
    for kind in ("all", *dict.fromkeys(KINDS)):
        cases = [c for c in world.cases if kind in ("all", c.kind)]
        by_kind[kind] = {
            "search": summarise([service_ranks[c.searcher] for c in cases], cap),
            "keyword_overlap": summarise(
                [r if (r := baseline[c.searcher]) <= cap else None for c in cases], cap
            ),
            "keyword_overlap_mean_rank_uncapped": mean(baseline[c.searcher] for c in cases),
        }
    examples = [
        {"kind": c.kind, "need": c.need, "planted_offer": c.planted_offer}
        for c in world.cases[: len(dict.fromkeys(KINDS)) + 2]
    ]
    return {
        "actors": len(world.events),
        "searchers": len(world.cases),
        "distractors_per_searcher": DISTRACTORS,
        "rank_cap": cap,
        "by_kind": by_kind,
        "examples": examples,
    }


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for kind, r in report["by_kind"].items():
        s, k = r["search"], r["keyword_overlap"]
        rows.append(
            [
                kind,
                int(s["cases"]),
                f"{s['hit_at_10']:.0%}",
                f"{k['hit_at_10']:.0%}",
                f"{s['hit_at_1']:.0%}",
                f"{k['hit_at_1']:.0%}",
                s["mrr"],
                k["mrr"],
                s["mean_rank_capped"],
                k["mean_rank_capped"],
                int(s["beyond_cap"]),
            ]
        )
    title = (
        f"Ranking quality: planted complementary partner among {report['actors']:,} actors "
        f"({report['searchers']} searchers, {report['distractors_per_searcher']} keyword "
        "distractors each): GET /v1/profiles/{id}/partners vs plain keyword overlap"
    )
    text = table(
        title,
        [
            "planted offer",
            "cases",
            "hit@10",
            "kw hit@10",
            "hit@1",
            "kw hit@1",
            "MRR",
            "kw MRR",
            "mean rank",
            "kw mean rank",
            f"> {report['rank_cap']}",
        ],
        rows,
    )
    text += (
        f"\n(kw: keyword-overlap baseline; mean rank capped at {report['rank_cap'] + 1}; "
        f"last column: planted partner not in the service's first {report['rank_cap']})"
    )
    text += "\n" + "\n".join(
        f"  e.g. {e['kind']}: need '{e['need']}' -> offer '{e['planted_offer']}'"
        for e in report["examples"]
    )
    return text
