from __future__ import annotations

import pytest
from synergia_shared.reference.countries import CountryStanding, UnknownCountry, lookup_country
from synergia_shared.reference.identifiers import InvalidIdentifier, validate_vat
from synergia_shared.reference.nuts import InvalidNuts, validate_nuts


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


@pytest.mark.parametrize("given", ["XK", "xk", " Xk "])
def test_kosovo_is_known_by_the_code_eu_sources_give_it(given: str) -> None:
    """ISO 3166 (and so pycountry) has no code for Kosovo; CORDIS and the EU's country
    table write XK."""
    kosovo = lookup_country(given)
    assert (kosovo.code, kosovo.name) == ("XK", "Kosovo")
    # Horizon 2020: a third country (eligible for funding, not associated), so it does
    # not count toward the consortium's three countries; Horizon Europe: associated.
    assert kosovo.standing is CountryStanding.THIRD_COUNTRY
    assert not kosovo.eligible_for_consortium
    assert kosovo.horizon_europe is CountryStanding.ASSOCIATED


@pytest.mark.parametrize(
    ("code", "h2020", "horizon_europe"),
    [
        ("DE", CountryStanding.MEMBER_STATE, CountryStanding.MEMBER_STATE),
        ("GR", CountryStanding.MEMBER_STATE, CountryStanding.MEMBER_STATE),
        ("NO", CountryStanding.ASSOCIATED, CountryStanding.ASSOCIATED),
        ("UA", CountryStanding.ASSOCIATED, CountryStanding.ASSOCIATED),
        # Associated to Horizon 2020, not (yet) to Horizon Europe.
        ("CH", CountryStanding.ASSOCIATED, CountryStanding.THIRD_COUNTRY),
        # A Member State for H2020-era data; associated to Horizon Europe from 2024.
        ("GB", CountryStanding.UNITED_KINGDOM, CountryStanding.ASSOCIATED),
        # Associated to Horizon Europe's Pillar II only, and never to Horizon 2020.
        ("NZ", CountryStanding.THIRD_COUNTRY, CountryStanding.ASSOCIATED),
        ("CA", CountryStanding.THIRD_COUNTRY, CountryStanding.ASSOCIATED),
        ("US", CountryStanding.THIRD_COUNTRY, CountryStanding.THIRD_COUNTRY),
    ],
)
def test_standing_in_each_programme(
    code: str, h2020: CountryStanding, horizon_europe: CountryStanding
) -> None:
    country = lookup_country(code)
    assert (country.standing, country.horizon_europe) == (h2020, horizon_europe)


def test_kosovo_vat_numbers_get_a_plausibility_check_and_its_regions_are_nuts_2024() -> None:
    assert validate_vat("XK 600 123 456", "XK") == "XK600123456"
    assert validate_vat("600123456", "xk") == "XK600123456"
    with pytest.raises(InvalidIdentifier, match=r"not valid in Kosovo \(XK\)"):
        validate_vat("XK-1", "XK")
    with pytest.raises(InvalidIdentifier, match="from Kosovo"):
        validate_vat("XK600123456", "DE")
    assert validate_nuts("xk00", "XK", "2024").country == "XK"
    with pytest.raises(InvalidNuts, match="try NUTS 2024"):
        validate_nuts("XK00", "XK", "2021")
