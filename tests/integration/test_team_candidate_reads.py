"""A read of the candidates the team pre-filter may keep, against a read of every fitting
actor (``proposals.repository.candidates``), over a demo world: when the first holds
every fitting actor by :func:`rules.holds_every_fitting_actor`, the service answers "no
team" without the second read, so the two must hold the same actors then."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from synergia_matching.partners.terms import term_groups
from synergia_matching.proposals import repository, rules

from bench import matching_world
from tests.support.actors import LARGE, projected, register
from tests.support.stack import TestStack

WORDS = ["cobalt", "lithium", "nickel", "graphite", "manganese", "electrolyte", "separator"]


def stage_queries(stages: int) -> list[repository.StageQuery]:
    theme = matching_world.six_stage_theme()
    return [
        repository.StageQuery(
            [g.tsquery() for g in term_groups(list(s.keywords), f"{s.name} {s.description}")],
            [c.value for c in s.competences],
        )
        for s in theme.stages[:stages]
    ]


async def read(
    session: AsyncSession, queries: list[repository.StageQuery], top_n: int | None
) -> tuple[set[uuid.UUID], list[list[int]]]:
    rows = await repository.candidates(
        session, queries, exclude=[], must=[], fit_parts=rules.FIT_PARTS, top_n=top_n
    )
    return {r.actor_id for r in rows}, [list(r.stages) for r in rows]


async def test_a_read_that_holds_every_fitting_actor_holds_what_reading_all_would(
    stack: TestStack,
) -> None:
    world = matching_world.generate(600)
    await matching_world.load_profiles(stack.database_url("matching"), world.events)
    engine = create_async_engine(stack.database_url("matching"))
    complete, incomplete = 0, 0
    try:
        async with AsyncSession(engine) as session:
            for stages in (1, 6):
                queries = stage_queries(stages)
                everyone, _ = await read(session, queries, None)
                assert everyone, "the demo world fits the demo value chain"
                for top_n in (1, 2, 5, 10, 40, 100, 1000):
                    kept, matched = await read(session, queries, top_n)
                    assert kept <= everyone
                    if rules.holds_every_fitting_actor(matched, len(queries), top_n):
                        complete += 1
                        assert kept == everyone, (stages, top_n)
                    else:
                        incomplete += 1
    finally:
        await engine.dispose()
    assert complete, "a read holding every fitting actor was tried"
    assert incomplete, "a read that may miss some was tried"


async def test_a_stage_read_to_its_top_n_exactly_may_miss_actors_below(
    stack: TestStack, registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    # Seven large firms of one country and sector, the i-th offering the first i of the
    # stage's seven terms: fits 1/7 .. 7/7, one best per country, sector and none an SME,
    # so the read to the top 3 keeps exactly 3 and misses 4.
    ids = [
        await register(
            registry,
            f"Materials {i} GmbH",
            "DE",
            figures=LARGE,
            nace_codes=["C20.13"],
            offers=[{"type": "technology_offer", "title": "Materials", "keywords": WORDS[:i]}],
        )
        for i in range(1, 8)
    ]
    await projected(matching, *ids)
    queries = [repository.StageQuery([g.tsquery() for g in term_groups(WORDS, "")], [])]
    engine = create_async_engine(stack.database_url("matching"))
    try:
        async with AsyncSession(engine) as session:
            everyone, _ = await read(session, queries, None)
            assert everyone == {uuid.UUID(a) for a in ids}
            kept, matched = await read(session, queries, 3)
            assert kept == {uuid.UUID(a) for a in ids[4:]}
            assert not rules.holds_every_fitting_actor(matched, 1, 3)
            for top_n in (8, 100):
                kept, matched = await read(session, queries, top_n)
                assert rules.holds_every_fitting_actor(matched, 1, top_n)
                assert kept == everyone
    finally:
        await engine.dispose()
