"""The pure rules a team request is read by: unknown ids, must-include actors, fits per
stage, S3 alignment, and when one read of candidates already holds every fitting actor."""

from __future__ import annotations

import uuid

from synergia_matching.proposals import rules
from synergia_matching.regions.rules import Alignment

A, B, C, D = (uuid.UUID(int=n) for n in range(1, 5))


def test_unknown_ids_are_named_by_their_position() -> None:
    assert rules.unknown_at([A, C, B, D], {A, B}) == [1, 3]
    assert rules.unknown_at([A, B], {A, B}) == []


def test_the_lead_clusters_are_must_include_unless_excluded_or_not_wanted() -> None:
    assert rules.must_include([B, B], [A, B], include_leads=True, exclude=set()) == [B, A]
    assert rules.must_include([B], [A, C], include_leads=True, exclude={C}) == [B, A]
    assert rules.must_include([B], [A], include_leads=False, exclude=set()) == [B]


def test_an_actor_fits_only_the_stages_it_fits_above_zero() -> None:
    stages = [A, B, C]
    fits = rules.actor_fits(stages, [0, 2], [1.0, 0.0], [None, 0.0])
    assert fits == {A: 1.0}, "a stage matched with no term and no competence is not fitted"
    assert rules.actor_fits(stages, [1], [0.5], [1.0]) == {B: rules.stage_fit(0.5, 1.0)}
    assert rules.actor_fits(stages, [], [], []) == {}


def test_s3_alignment_is_the_best_of_the_region_and_those_enclosing_it() -> None:
    def aligned(score: float) -> Alignment:
        return Alignment(score=score, domain="d", region="r", matched=())

    regions = {"DE": aligned(0.2), "DE1": aligned(0.7), "FR1": aligned(0.9)}
    assert rules.s3_alignment("DE11", regions) == 0.7
    assert rules.s3_alignment("DE2", regions) == 0.2
    assert rules.s3_alignment("IT", regions) == 0.0


def test_a_read_holds_every_fitting_actor_when_each_stage_has_fewer_than_top_n() -> None:
    assert rules.holds_every_fitting_actor([[0], [0, 1], [1]], stages=2, top_n=3)
    assert rules.holds_every_fitting_actor([], stages=2, top_n=3), "nobody fits: nothing more"


def test_a_stage_with_top_n_actors_read_may_have_more_unread() -> None:
    assert not rules.holds_every_fitting_actor([[0], [0, 1], [0]], stages=2, top_n=3)
