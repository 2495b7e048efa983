"""Pure rules of the actor projection: the row a profile snapshot makes, and what an actor
offers and needs, as the text and competences partner search and team proposals match
on. The ordering rules (late events, deactivations, erasures) are shared with funding:
``synergia_shared.projections``.

Expired offers and needs (``valid_until`` before today, UTC: ``synergia_shared.validity``)
stay in the row's ``offers`` and ``needs``, for the profile view to show as expired, but
not in what is matched on: the texts, their documents and the offered competences are
made of the current ones only, as of the day the snapshot is applied. An entry expiring
later is taken out by the snapshot the registry's daily expiry sweep publishes then
(docs/matching.md, "Expired offers and needs").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from synergia_shared.events.registry import ActorRegisteredV1, OfferNeedV1
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.reference.competences import LABELS as COMPETENCE_LABELS
from synergia_shared.reference.competences import Competence
from synergia_shared.validity import is_expired, utc_today

from synergia_matching import languages
from synergia_matching.profiles.schemas import Profile


def _competence_words(codes: list[str]) -> list[str]:
    """Competence codes as words ("materials_recycling" → "materials recycling"): the
    label of a known code, the code itself for one this service does not know yet."""
    words = []
    for code in codes:
        try:
            words.append(COMPETENCE_LABELS[Competence(code)])
        except ValueError:
            words.append(code.replace("_", " "))
    return words


# Each part of a text is kept with the language it is written in; competence labels are
# this service's own, in English.
Part = tuple[str, str]  # (ISO 639-1 language, text)


def profile_language(data: ActorRegisteredV1) -> str:
    """The language the actor writes in: declared, else its description's, else the one
    detected over the titles and descriptions of its offers and needs, else English.
    Parts too short to tell take it."""
    if data.language:
        return data.language
    entries = [*data.offers, *data.needs]
    return (
        languages.detect(data.description or "")
        or languages.detect(" ".join(f"{e.title}. {e.description}" for e in entries))
        or languages.ENGLISH
    )


def _entries_parts(entries: list[OfferNeedV1], declared: str | None, own: str) -> list[Part]:
    parts: list[Part] = []
    for entry in entries:
        free = [entry.title, entry.description, *entry.keywords]
        language = languages.language_of(free, declared=declared, fallback=own)
        parts += [(language, text) for text in free]
        parts += [(languages.ENGLISH, words) for words in _competence_words(entry.competences)]
    return parts


def current(entries: list[OfferNeedV1], today: date | None = None) -> list[OfferNeedV1]:
    """The entries not expired on ``today`` (UTC, by default the current day): the ones
    that count in matching."""
    today = today or utc_today()
    return [e for e in entries if not is_expired(e.valid_until, today)]


def current_stored(entries: Iterable[Mapping[str, Any]], today: date) -> list[Mapping[str, Any]]:
    """:func:`current` of entries as the row stores them (JSON, dates as ISO strings)."""
    return [
        e
        for e in entries
        if not e.get("valid_until") or date.fromisoformat(e["valid_until"]) >= today
    ]


def offers_parts(
    data: ActorRegisteredV1, own: str | None = None, today: date | None = None
) -> list[Part]:
    """What the actor can provide in structured form, for full-text matching: its current
    offers and, since an actor offers what it is competent in, the labels of its
    controlled competences (in English). This is the strong evidence of partner search
    (weight A of the document); its free text is :func:`about_parts`. ``own`` is the
    profile's language, if already known."""
    own = own or profile_language(data)
    parts = _entries_parts(current(data.offers, today), data.language, own)
    parts += [(languages.ENGLISH, words) for words in _competence_words(data.competences)]
    return [(language, text) for language, text in parts if text]


def about_parts(data: ActorRegisteredV1, own: str | None = None) -> list[Part]:
    """What the actor says about itself in free text, in the profile's language (its
    description's whenever that could be told): its own keywords and description. They
    can find it, but count less than a structured offer (weight D of the document):
    anyone can write any word there, and some write every word a search might use."""
    own = own or profile_language(data)
    parts = [(own, keyword) for keyword in data.keywords]
    if data.description:
        parts.append((own, data.description))
    return [(language, text) for language, text in parts if text]


def needs_parts(
    data: ActorRegisteredV1, own: str | None = None, today: date | None = None
) -> list[Part]:
    """What the actor is looking for: its current needs (technology, business and R&D
    requests)."""
    parts = _entries_parts(current(data.needs, today), data.language, own or profile_language(data))
    return [(language, text) for language, text in parts if text]


def offers_text(data: ActorRegisteredV1, today: date | None = None) -> str:
    return joined(offers_parts(data, today=today))


def about_text(data: ActorRegisteredV1) -> str:
    return joined(about_parts(data))


def needs_text(data: ActorRegisteredV1, today: date | None = None) -> str:
    return joined(needs_parts(data, today=today))


def joined(parts: list[Part]) -> str:
    return "\n".join(text for _, text in parts)


def configuration_spans(parts: list[Part]) -> tuple[list[str], list[int]]:
    """The text-search configuration of each run of consecutive parts that share one, and
    the run's length in characters in :func:`joined` (runs are separated by one newline).
    ``matching_document`` (migration 0009) stems each run with its configuration."""
    configurations: list[str] = []
    runs: list[list[str]] = []
    for language, text in parts:
        configuration = languages.text_search_configuration(language)
        if configurations and configurations[-1] == configuration:
            runs[-1].append(text)
        else:
            configurations.append(configuration)
            runs.append([text])
    return configurations, [len("\n".join(run)) for run in runs]


def offered_competences(data: ActorRegisteredV1, today: date | None = None) -> list[str]:
    """The actor's competences and those of its current offers, each once, in order."""
    offers = current(data.offers, today)
    found = [*data.competences, *(c for o in offers for c in o.competences)]
    return list(dict.fromkeys(found))


def profile_row(
    data: ActorRegisteredV1,
    sequence: int,
    marks: lifecycle.LifecycleMarks,
    today: date | None = None,
) -> dict[str, Any]:
    """The actor_profiles row of a snapshot at ``sequence``, given the lifecycle marks
    already seen for the actor; jsonb columns as JSON-ready lists; what it is matched on
    as of ``today`` (UTC, by default the current day). The consumer upserts it and the
    benchmarks COPY it, so both make the same row of an event."""
    today = today or utc_today()
    own = profile_language(data)
    return {
        **lifecycle.snapshot_columns(data, sequence, marks),
        "competences": data.competences,
        "keywords": data.keywords,
        "offers": [o.model_dump(mode="json") for o in data.offers],
        "needs": [n.model_dump(mode="json") for n in data.needs],
        "country_standing": data.country_standing,
        "nuts_version": data.nuts_version,
        **_text_columns("offers", offers_parts(data, own, today)),
        **_text_columns("about", about_parts(data, own)),
        **_text_columns("needs", needs_parts(data, own, today)),
        "language": own,
        "offered_competences": offered_competences(data, today),
    }


def _text_columns(kind: str, parts: list[Part]) -> dict[str, Any]:
    configurations, lengths = configuration_spans(parts)
    if configurations in ([], ["english"]):
        # NULL, not arrays: a text all in English (most are) is indexed in English whole,
        # and its row is no wider than before languages were told (search reads rows).
        return {f"{kind}_text": joined(parts)} | dict.fromkeys(
            (f"{kind}_text_configurations", f"{kind}_text_lengths")
        )
    return {
        f"{kind}_text": joined(parts),
        f"{kind}_text_configurations": configurations,
        f"{kind}_text_lengths": lengths,
    }


def mark_expired(profile: Profile, today: date) -> Profile:
    """The profile view with each offer and need marked expired or not on ``today``."""
    for item in (*profile.offers, *profile.needs):
        item.expired = is_expired(item.valid_until, today)
    return profile
