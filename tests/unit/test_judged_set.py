"""The ranking bench's judged set has the shape issue 17 asks for, and is consistent."""

from __future__ import annotations

from collections import Counter
from datetime import date

from synergia_shared.events.registry import ActorKind
from synergia_shared.reference.competences import Competence
from synergia_shared.reference.countries import lookup_country
from synergia_shared.reference.ecosystems import Ecosystem
from synergia_shared.reference.nace import validate_nace

from bench import judged_set
from bench.judged_set import CLASSES

JUDGED = judged_set.load()
TODAY = date(2026, 12, 7)  # the set was written on this day; expiry dates are checked from it


def test_size_languages_and_kinds() -> None:
    assert len(JUDGED.candidates()) >= 300
    assert len(JUDGED.needs) >= 12
    languages = Counter(p["lang"] for p in JUDGED.profiles.values())
    for language in ("en", "de", "pl", "el", "fr", "it", "es"):
        assert languages[language] >= 10, language
    assert len({p["country"] for p in JUDGED.profiles.values()}) >= 20
    kinds = {p["kind"] for p in JUDGED.profiles.values()}
    assert {"sme", "cluster_organisation", "research_organisation", "university"} <= kinds


def test_every_query_class_has_needs() -> None:
    per_class = Counter(n.query_class for n in JUDGED.needs)
    assert set(per_class) == set(CLASSES)
    assert all(count >= 2 for count in per_class.values()), per_class


def test_codes_are_the_platforms_vocabularies() -> None:
    for p in JUDGED.profiles.values():
        ActorKind(p["kind"])
        lookup_country(p["country"])
        for code in p.get("nace", []):
            validate_nace(code, "2.1")
        for eco in p.get("eco", []):
            Ecosystem(eco)
        entries = p.get("offers", []) + p.get("needs", [])
        for competence in p.get("comp", []) + [c for e in entries for c in e.get("comp", [])]:
            Competence(competence)
        assert all(e["title"] and e["type"] for e in entries), p["key"]


def test_every_profile_makes_the_registry_event() -> None:
    events = [judged_set.actor_event(p) for p in JUDGED.profiles.values()]
    assert len({e.actor_id for e in events}) == len(events)
    assert all(e.offers for e in events)


def test_grades_name_profiles_and_exact_complements_exist() -> None:
    for need in JUDGED.needs:
        searcher = JUDGED.profiles[need.searcher]
        assert len(searcher["needs"]) == 1, need.id
        assert need.searcher not in need.grades
        assert set(need.grades.values()) <= {1, 2}
        assert sum(1 for g in need.grades.values() if g == 2) >= 2, need.id
        for key in [*need.grades, *need.expired]:
            assert key in JUDGED.profiles, (need.id, key)


def test_expired_profiles_are_expired_and_graded_ones_are_not() -> None:
    expired_needs = [n for n in JUDGED.needs if n.query_class == "expired"]
    assert all(n.expired for n in expired_needs)
    for need in JUDGED.needs:
        for key in need.expired:
            assert key not in need.grades  # so they are 0
            assert judged_set.expired_offers(JUDGED.profiles[key], TODAY), key
        for key in need.grades:
            assert not judged_set.expired_offers(JUDGED.profiles[key], TODAY), key
