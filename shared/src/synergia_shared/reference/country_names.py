"""Countries written as names, as open-data exports write them ("Bulgaria", "Czechia")."""

from __future__ import annotations

import functools
import gettext

import pycountry

from synergia_shared.reference.countries import (
    EU_TO_ISO,
    Country,
    UnknownCountry,
    lookup_country,
)


@functools.lru_cache(maxsize=512)
def lookup_country_by_name_or_code(text: str) -> Country:
    """A country by its English name (short, official or common, any case) or its ISO or
    EU code; raises :class:`UnknownCountry`."""
    value = " ".join(text.split())
    if len(value) == 2:
        return lookup_country(value)
    try:
        record = pycountry.countries.lookup(value)
    except LookupError:
        raise UnknownCountry(
            f"unknown country {text!r}: neither a country name nor a code"
        ) from None
    return lookup_country(record.alpha_2)


# The EU's 24 official languages (ISO 639-1): the languages a country's name is offered in.
EU_OFFICIAL_LANGUAGES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip


@functools.cache
def _iso3166_translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


@functools.cache
def names_by_language(code: str) -> dict[str, str]:
    """The country's name in each EU official language pycountry's translations (the
    iso-codes project's, maintained by Debian) have it in: {"de": "Griechenland", ...}.
    Empty for a code outside ISO 3166-1 (XK)."""
    country = lookup_country(code)
    record = pycountry.countries.get(alpha_2=EU_TO_ISO.get(country.code, country.code))
    if record is None:
        return {}
    names = {"en": country.name}
    for language in EU_OFFICIAL_LANGUAGES:
        translated = _iso3166_translations(language).gettext(record.name)
        if language != "en" and translated != record.name:
            names[language] = translated
    return names
