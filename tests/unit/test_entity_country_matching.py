"""Independent entities in distinct countries: one entity per country, one country per entity."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from synergia_shared.entity_country_matching import match_entities_to_countries


def test_each_entity_gets_a_different_country_of_its_own() -> None:
    found = match_entities_to_countries({"a": {"DE"}, "b": {"FR"}, "c": {"IT"}})
    assert found == {"a": "DE", "b": "FR", "c": "IT"}


def test_entities_in_one_country_only_count_once() -> None:
    found = match_entities_to_countries({"a": {"DE"}, "b": {"DE"}, "c": {"FR"}})
    assert len(found) == 2
    assert found["c"] == "FR"


def test_an_entity_in_two_countries_stands_for_one_only() -> None:
    assert len(match_entities_to_countries({"group": {"DE", "FR"}})) == 1


def test_a_first_choice_is_given_up_when_that_counts_one_more_entity() -> None:
    # Taken in order, "group" would keep DE (alphabetically first) and leave "de_only"
    # without a country; the augmenting path moves the group to FR.
    found = match_entities_to_countries({"group": {"DE", "FR"}, "de_only": {"DE"}})
    assert found == {"group": "FR", "de_only": "DE"}


def test_entities_without_an_eligible_country_are_left_out() -> None:
    found = match_entities_to_countries({0: set(), 1: {"BE"}, 2: frozenset()})
    assert found == {1: "BE"}


def test_the_answer_is_the_same_for_the_same_input() -> None:
    countries_of = {i: {"DE", "FR", "IT"} for i in range(4)}
    first = match_entities_to_countries(countries_of)
    assert sorted(first.values()) == ["DE", "FR", "IT"]
    assert match_entities_to_countries(dict(countries_of)) == first


def _largest_by_brute_force(countries_of: dict[int, set[str]]) -> int:
    best = 0
    for size in range(len(countries_of) + 1):
        for chosen in itertools.combinations(countries_of, size):
            options = [sorted(countries_of[entity]) for entity in chosen]
            if any(len(set(pick)) == size for pick in itertools.product(*options)):
                best = size
    return best


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.integers(0, 5), st.sets(st.sampled_from(["DE", "FR", "IT", "NO", "UK"]), max_size=3)
    )
)
def test_the_assignment_is_valid_and_as_large_as_any(countries_of: dict[int, set[str]]) -> None:
    found = match_entities_to_countries(countries_of)
    assert all(country in countries_of[entity] for entity, country in found.items())
    assert len(set(found.values())) == len(found), "a country counts for one entity"
    assert len(found) == _largest_by_brute_force(countries_of)
