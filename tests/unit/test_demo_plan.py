"""The demo data set's plan (`make demo`): deterministic, realistic, valid for the API."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest
from synergia_devstack.demo import DemoSize, generate
from synergia_devstack.demo.plan import FSTP_CAP, DemoPlan, status_steps
from synergia_registry.actors.schemas import ActorCreate
from synergia_registry.clusters.schemas import ClusterProfileUpdate
from synergia_registry.value_chains.schemas import ValueChainCreate
from synergia_shared.reference.countries import CountryStanding, lookup_country
from synergia_shared.reference.nace import validate_nace
from synergia_shared.reference.nuts import validate_nuts


@pytest.fixture(scope="module")
def plan() -> DemoPlan:
    return generate(2024)


def _dump(plan: DemoPlan) -> str:
    return json.dumps(
        [
            [a.body for a in plan.actors],
            [[a.owners for a in plan.actors]],
            [(c.actor_key, c.profile, c.members) for c in plan.clusters],
            [(v.body, v.lead_keys, v.participants, v.target_status) for v in plan.value_chains],
        ],
        default=str,
        sort_keys=True,
    )


def test_the_same_seed_gives_the_same_plan_and_another_seed_another(plan: DemoPlan) -> None:
    assert _dump(generate(2024)) == _dump(plan)
    assert _dump(generate(2025)) != _dump(plan)


def test_full_size_spans_the_countries_the_issue_asks_for(plan: DemoPlan) -> None:
    assert len(plan.actors) == 2_000
    assert len(plan.countries) >= 20
    standings = Counter(lookup_country(c).standing for c in plan.countries)
    assert standings[CountryStanding.ASSOCIATED] >= 5
    assert standings[CountryStanding.THIRD_COUNTRY] >= 1
    assert {"EL", "UK", "NO", "CH", "IL", "TR", "RS"} <= plan.countries


def test_mostly_smes_with_accounts_in_their_band(plan: DemoPlan) -> None:
    kinds = Counter(a.kind for a in plan.actors)
    assert kinds["sme"] / len(plan.actors) > 0.55
    assert kinds["cluster_organisation"] == 40
    assert len(kinds) == 9
    for actor in plan.actors:
        if actor.kind != "sme":
            continue
        limit = {"micro": (10, 2_000_000), "small": (50, 10_000_000), "medium": (250, 50_000_000)}
        staff, turnover = limit[actor.sme_category or ""]
        for year in actor.body["financials"]:
            assert Decimal(year["headcount"]) < staff
            assert Decimal(year["turnover"]) <= turnover


def test_every_body_is_a_valid_request_with_real_codes(plan: DemoPlan) -> None:
    names = [a.body["legal_name"] for a in plan.actors]
    assert len(set(names)) == len(names)
    assert not any(name.lower().startswith("actor ") for name in names)
    for actor in plan.actors:
        ActorCreate.model_validate(actor.body)
        assert actor.body["nace_codes"]
        for code in actor.body["nace_codes"]:
            assert validate_nace(code).code == code
        if "nuts_code" in actor.body:
            validate_nuts(actor.body["nuts_code"], actor.country, actor.body["nuts_version"])
        else:
            assert actor.country in {"IL", "US", "JP"}
    for cluster in plan.clusters:
        ClusterProfileUpdate.model_validate(cluster.profile)
        assert len(cluster.members) >= 12
        assert cluster.actor_key not in {m.actor_key for m in cluster.members}
    with_offers = sum(1 for a in plan.actors if a.body.get("offers"))
    assert with_offers > len(plan.actors) / 2
    assert sum(1 for a in plan.actors if a.owners) >= 10
    assert sum(1 for a in plan.actors if a.body.get("contacts")) > 300


def test_value_chains_meet_the_programme_rules_by_construction(plan: DemoPlan) -> None:
    by_key = {a.key: a for a in plan.actors}
    assert len(plan.value_chains) == 10
    assert Counter(v.target_status for v in plan.value_chains) == {
        "formed": 3,
        "open": 3,
        "draft": 2,
        "running": 1,
        "closed": 1,
    }
    for chain in plan.value_chains:
        ValueChainCreate.model_validate(
            {
                **chain.body,
                "lead_actor_ids": ["00000000-0000-4000-8000-000000000000"],
                "participants": [],
            }
        )
        assert 4 <= len(chain.body["stages"]) <= 6
        members = [by_key[p.actor_key] for p in chain.participants]
        assert len({m.country for m in members}) >= 3
        assert not any(m.in_ownership for m in members)
        total = sum(Decimal(p.planned_budget or 0) for p in chain.participants)
        smes = sum(
            Decimal(p.planned_budget or 0)
            for p in chain.participants
            if by_key[p.actor_key].kind == "sme"
        )
        assert smes / total >= Decimal("0.75")
        for p in chain.participants:
            if p.role == "third_party":
                assert Decimal(p.planned_budget or 0) <= FSTP_CAP
        assert [p.role for p in chain.participants].count("coordinator") == 1


def test_small_sizes_still_cover_twenty_countries() -> None:
    small = generate(7, DemoSize(actors=120, clusters=4, value_chains=3))
    assert len(small.actors) == 120
    assert len(small.countries) >= 20
    with pytest.raises(ValueError, match="cluster"):
        generate(7, DemoSize(actors=10, clusters=5, value_chains=0))


def test_status_steps_only_go_forward() -> None:
    assert status_steps("draft", "formed") == ["open", "formed"]
    assert status_steps("running", "open") == []
    assert status_steps("formed", "formed") == []
