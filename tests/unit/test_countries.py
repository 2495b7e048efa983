from __future__ import annotations

import pytest
from synergia_shared.reference.countries import CountryStanding, UnknownCountry, lookup_country


@pytest.mark.parametrize(
    ("given", "stored"), [("GR", "EL"), ("EL", "EL"), ("gb", "UK"), ("UK", "UK")]
)
def test_greece_and_the_uk_are_stored_in_the_eu_form(given: str, stored: str) -> None:
    assert lookup_country(given).code == stored


@pytest.mark.parametrize(
    ("code", "standing"),
    [
        ("DE", CountryStanding.MEMBER_STATE),
        ("EL", CountryStanding.MEMBER_STATE),
        ("NO", CountryStanding.ASSOCIATED),
        ("IL", CountryStanding.ASSOCIATED),
        ("UK", CountryStanding.UNITED_KINGDOM),
        ("US", CountryStanding.THIRD_COUNTRY),
        ("CN", CountryStanding.THIRD_COUNTRY),
    ],
)
def test_standing_in_horizon_2020(code: str, standing: CountryStanding) -> None:
    country = lookup_country(code)
    assert country.standing is standing
    assert country.eligible_for_consortium is (standing is not CountryStanding.THIRD_COUNTRY)


@pytest.mark.parametrize("code", ["XX", "", "DEU", "E1"])
def test_unknown_codes_are_rejected_not_guessed(code: str) -> None:
    with pytest.raises(UnknownCountry):
        lookup_country(code)
