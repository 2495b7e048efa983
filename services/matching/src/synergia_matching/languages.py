"""Which language a free text is in, and the PostgreSQL text-search configuration that
stems it.

Profiles are written in the EU's languages. Each free text (an offer or need, the
profile's description) is indexed with the configuration of its language, so a German
"Batterien" is stemmed by the German stemmer and a Greek "μπαταριών" by the Greek one;
a language PostgreSQL has no stemmer for (Polish, Czech, Bulgarian …) is indexed with
``simple`` (lower-cased words, no stemming, no stop words).

A language declared on the profile wins; otherwise lingua detects it, restricted to the
EU's official languages (lingua has no Maltese model: declare it). Lingua runs in its
low-accuracy mode (trigram models only): about 55 MB of memory and a second to load on
first use, under a millisecond a text, against about 580 MB, 20 s and 5 ms in
high-accuracy mode, for the same answers on sentences. A text too short to tell (a
keyword, a title alone) is not guessed at: it takes the profile's language. Every text
not in English is indexed in English as well (migration 0009).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

ENGLISH = "en"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# ISO 639-1 code → PostgreSQL text-search configuration (as PostgreSQL 18 ships them:
# `SELECT cfgname FROM pg_ts_config`). `simple` where there is no stemmer.
TEXT_SEARCH_CONFIGURATIONS: dict[str, str] = {
    "bg": "simple",
    "cs": "simple",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hr": "simple",
    "hu": "hungarian",
    "it": "italian",
    "lt": "lithuanian",
    "lv": "simple",
    "mt": "simple",
    "nl": "dutch",
    "pl": "simple",
    "pt": "portuguese",
    "ro": "romanian",
    "sk": "simple",
    "sl": "simple",
    "sv": "swedish",
}
EU_LANGUAGES = frozenset(TEXT_SEARCH_CONFIGURATIONS)

# Detection is only tried on texts with at least this many letters: below it lingua's
# guesses between related languages (German, Danish, Dutch) are close to chance.
MIN_LETTERS = 20
# Lingua's confidence that the best language is right, below which no language is given:
# in low-accuracy mode English titles of three words still come out as Croatian (0.85) or
# German (0.63). A text taken for the wrong language is also indexed in English
# (``matching_document``), so a wrong guess costs its stemming, not its being found.
MIN_CONFIDENCE = 0.9


def text_search_configuration(language: str | None) -> str:
    """The configuration for an ISO 639-1 code; English for an unknown or missing one."""
    return TEXT_SEARCH_CONFIGURATIONS.get((language or ENGLISH).lower(), "english")


@cache
def _detector() -> LanguageDetector:
    eu = [lang for lang in Language.all() if lang.iso_code_639_1.name.lower() in EU_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*eu).with_low_accuracy_mode().build()


# Lingua's time grows with the text (about 1 ms per 120 characters in low-accuracy mode);
# the first 160 characters of a text tell its language as well as the whole of it.
DETECTED_CHARACTERS = 160


def detect(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language among the EU's, or None when the text is
    too short or lingua is not confident enough."""
    return _detect(" ".join(text[:DETECTED_CHARACTERS].split()))


# Words only English uses among the EU's languages ("in", "is", "we", "to" are also
# Dutch, German, Italian or Polish words). A text in which they make 5 % of the words
# (English prose: 10-15 %) is English: most profiles are, and this answers them without
# lingua (microseconds against a millisecond or two), and more reliably on prose full of
# names of places and firms, which lingua's trigrams take for French or Danish at times.
_ENGLISH_MARKERS = frozenset({"the", "and", "of", "with", "for", "our", "are", "which", "from"})
_ENGLISH_SHARE = 0.05


def _looks_english(text: str) -> bool:
    words = _WORD.findall(text.lower())
    markers = sum(w in _ENGLISH_MARKERS for w in words)
    return markers >= 2 and markers >= _ENGLISH_SHARE * len(words)


# Titles and descriptions recur (a company's offers, imports of one programme's projects).
@lru_cache(maxsize=4096)
def _detect(text: str) -> str | None:
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None
    if _looks_english(text):
        return ENGLISH
    values = _detector().compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    return values[0].language.iso_code_639_1.name.lower()


def language_of(texts: Iterable[str], *, declared: str | None, fallback: str) -> str:
    """The language of a free text made of ``texts``: the declared one, else the detected
    one, else ``fallback`` (the profile's language)."""
    if declared:
        return declared.lower()
    return detect(" ".join(t for t in texts if t)) or fallback


def query_configurations(language: str | None) -> list[str]:
    """The configurations a search in ``language`` stems its terms in: its own first
    (its stop words are dropped), then English, the language of the controlled
    vocabularies' labels and of much technical writing ("Recycling", "Lithium-Ionen")."""
    return list(dict.fromkeys([text_search_configuration(language), "english"]))


def search_language(texts: Iterable[str], *, searcher: str | None) -> str:
    """The language of a search: detected from what it asks for, else the searcher's
    profile language, else English."""
    return detect(" ".join(t for t in texts if t)) or searcher or ENGLISH
