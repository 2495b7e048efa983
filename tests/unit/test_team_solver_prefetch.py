"""The service fetches only the candidates the pre-filter may keep; when the pre-filter's
entity rule would look below the ``top_n``-th fit, it fetches every fitting actor."""

from __future__ import annotations

import uuid

from synergia_matching.teams import Candidate, Stage, TeamConstraints
from synergia_matching.teams._common import entity_rule_within_top

STAGE = Stage(id=uuid.UUID(int=1000), name="s", position=1)


def cand(n: int, fit: float, entity: int | None = None) -> Candidate:
    return Candidate(
        actor_id=uuid.UUID(int=n),
        name=f"a{n}",
        entity_id=uuid.UUID(int=entity if entity is not None else n),
        country="DE",
        country_eligible=True,
        fit={STAGE.id: fit},
    )


def test_distinct_entities_in_the_top_suffice() -> None:
    cands = [cand(n, 1 - n / 100) for n in range(1, 6)]
    assert entity_rule_within_top([STAGE], cands, TeamConstraints(), top_n=3)


def test_fewer_usable_than_top_n_are_all_fetched_anyway() -> None:
    cands = [cand(1, 0.9, entity=7), cand(2, 0.8, entity=7)]
    assert entity_rule_within_top([STAGE], cands, TeamConstraints(), top_n=3)


def test_linked_enterprises_crowding_the_top_need_every_candidate() -> None:
    cands = [cand(1, 0.9, entity=7), cand(2, 0.8, entity=7), cand(3, 0.7), cand(4, 0.1)]
    assert not entity_rule_within_top([STAGE], cands, TeamConstraints(), top_n=3)


def test_ties_at_the_cutoff_count() -> None:
    cands = [cand(1, 0.9, entity=7), cand(2, 0.9, entity=7), cand(3, 0.5), cand(4, 0.5)]
    assert entity_rule_within_top([STAGE], cands, TeamConstraints(), top_n=3)
