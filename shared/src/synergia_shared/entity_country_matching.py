"""Independent entities in distinct countries: a maximum bipartite matching.

The INNOSUP-01 consortium rule asks for "at least 3 independent legal entities
established in 3 different Member States or Associated Countries" (H2020 Rules for
Participation, Regulation (EU) 1290/2013 Art. 9(1)). Linked enterprises are one entity
(``linked_enterprises``), and such an entity may be established in several countries,
yet it stands for one country only; a country counts for one entity only. How many
entities meet the rule is therefore the size of a largest matching between entities and
their countries. The registry's eligibility report and matching's team rules both count
with it: the report shows which country each entity was counted for, matching only needs
the number.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from typing import TypeVar

Entity = TypeVar("Entity", bound=Hashable)


def match_entities_to_countries(
    countries_of: Mapping[Entity, Collection[str]],
) -> dict[Entity, str]:
    """A largest assignment of pairwise different countries to entities, each entity
    getting one of its own countries (Kuhn's augmenting paths).

    Deterministic: entities are taken in the mapping's order and each one's countries in
    alphabetical order, so the same input always counts the same entity for the same
    country. Entities left without a country are absent from the answer.
    """
    owner: dict[str, Entity] = {}
    options = {entity: sorted(set(countries)) for entity, countries in countries_of.items()}

    def augment(entity: Entity, visited: set[str]) -> bool:
        for country in options[entity]:
            if country in visited:
                continue
            visited.add(country)
            if country not in owner or augment(owner[country], visited):
                owner[country] = entity
                return True
        return False

    for entity in options:
        augment(entity, set())
    return {entity: country for country, entity in owner.items()}
