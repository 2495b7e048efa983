"""Each free text of a profile in its own language (``languages``, ``profiles.rules``):
detected among the EU's languages or declared, and mapped to the PostgreSQL text-search
configuration that stems it ('simple' where PostgreSQL has none)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from synergia_matching import languages
from synergia_matching.profiles import rules
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1, OfferNeedV1

GERMAN = "Wir recyceln gebrauchte Lithium-Ionen-Batterien aus Elektrofahrzeugen und Speichern."
GREEK = "Ανακύκλωση μπαταριών λιθίου από ηλεκτρικά οχήματα και αποθήκευση ενέργειας."
POLISH = "Odzyskujemy metale z zużytych baterii litowo-jonowych z pojazdów elektrycznych."
ENGLISH = "We recover lithium, cobalt and nickel from spent electric vehicle batteries."


def test_sentences_are_detected_among_the_eu_languages() -> None:
    assert languages.detect(GERMAN) == "de"
    assert languages.detect(GREEK) == "el"
    assert languages.detect(POLISH) == "pl"
    assert languages.detect(ENGLISH) == "en"


def test_english_prose_full_of_names_is_english() -> None:
    """Names of places and firms mislead trigrams; English function words do not."""
    text = (
        "Limerick Social Teoranta is a small company in Limerick, Ireland, working with "
        "social economy enterprises and municipalities."
    )
    assert languages.detect(text) == "en"
    assert languages.detect("Recycling und Rückgewinnung for Batterien aus Elektroautos") == "de"


def test_a_text_too_short_to_tell_is_not_guessed() -> None:
    assert languages.detect("Batterien") is None
    assert languages.detect("") is None


def test_each_language_has_its_configuration_and_simple_where_postgresql_has_none() -> None:
    config = languages.text_search_configuration
    assert (config("de"), config("el"), config("en")) == ("german", "greek", "english")
    assert {config(code) for code in ("pl", "cs", "bg", "hr", "sk", "sl", "lv", "mt")} == {"simple"}
    assert config(None) == config("xx") == "english"
    assert len(languages.EU_LANGUAGES) == 24, "the EU's official languages"


def test_a_search_stems_in_its_own_language_first_then_english() -> None:
    assert languages.query_configurations("de") == ["german", "english"]
    assert languages.query_configurations("en") == ["english"]
    assert languages.query_configurations("pl") == ["simple", "english"]
    assert languages.search_language([GERMAN], searcher=None) == "de"
    assert languages.search_language(["Batterien"], searcher="de") == "de"
    assert languages.search_language(["Batterien"], searcher=None) == "en"


def profile(*, description: str, offer: str, language: str | None = None) -> ActorRegisteredV1:
    return ActorRegisteredV1(
        actor_id=uuid.uuid4(),
        legal_name="Odzysk Metali Sp. z o.o.",
        kind=ActorKind.SME,
        country="PL",
        registered_at=datetime(2025, 3, 1, tzinfo=UTC),
        description=description,
        competences=["materials_recycling"],
        keywords=["baterie"],
        offers=[
            OfferNeedV1(
                id=uuid.uuid4(),
                type="technology_offer",
                title="Recovery",
                description=offer,
                competences=["advanced_materials"],
            )
        ],
        language=language,
    )


def _runs(parts: list[rules.Part]) -> list[tuple[str, str]]:
    """(configuration, text) of each run, cut out of the joined text by the lengths, as
    ``matching_document`` does."""
    text = rules.joined(parts)
    configurations, lengths = rules.configuration_spans(parts)
    runs, start = [], 0
    for configuration, length in zip(configurations, lengths, strict=True):
        runs.append((configuration, text[start : start + length]))
        start += length + 1
    assert start == len(text) + 1, "the runs cover the text exactly"
    return runs


def test_each_free_text_is_indexed_in_its_language_and_the_labels_in_english() -> None:
    data = profile(description=POLISH, offer=GERMAN)
    offered = _runs(rules.offers_parts(data))
    configuration_of = {text: c for c, run in offered for text in run.split("\n")}
    assert configuration_of[GERMAN] == "german", "the offer's own language"
    assert configuration_of["Recovery"] == "german", "a short title takes its offer's"
    assert configuration_of["Advanced materials"] == "english", "competence labels"
    assert configuration_of["Materials recycling"] == "english"
    # The free text is the document's other half (weight D), in the profile's language.
    about = dict(_runs(rules.about_parts(data)))
    assert about == {"simple": f"baterie\n{POLISH}"}, "Polish: no stemmer"
    assert POLISH not in rules.offers_text(data), "the description is not an offer"
    assert rules.profile_row(data, 1, rules.lifecycle.NO_MARKS)["language"] == "pl"


def test_a_text_all_in_english_stores_no_runs() -> None:
    row = rules.profile_row(
        profile(description=ENGLISH, offer=ENGLISH, language="en"), 1, rules.lifecycle.NO_MARKS
    )
    assert row["offers_text_configurations"] is None
    assert row["offers_text_lengths"] is None
    assert row["about_text_configurations"] is None
    assert row["about_text_lengths"] is None
    assert row["language"] == "en"


def test_a_declared_language_wins_over_detection() -> None:
    data = profile(description=ENGLISH, offer=ENGLISH, language="el")
    row = rules.profile_row(data, 1, rules.lifecycle.NO_MARKS)
    assert row["language"] == "el"
    assert set(row["offers_text_configurations"]) == {"greek", "english"}
    assert row["offers_text"] == rules.offers_text(data)
    assert row["about_text_configurations"] == ["greek"]
    assert row["about_text"] == rules.about_text(data)
