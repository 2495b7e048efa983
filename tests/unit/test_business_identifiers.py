"""National business identifiers: one scheme table, each scheme checked by python-stdnum,
stored compact; a VAT number and the identifier it is made of imply each other."""

from __future__ import annotations

import random
import re

import pytest
from synergia_shared.reference.countries import lookup_country
from synergia_shared.reference.identifiers import (
    BUSINESS_ID_SCHEMES,
    SCHEMES_BY_CODE,
    BusinessId,
    InvalidIdentifier,
    business_id_of_vat,
    schemes_of,
    validate_business_id,
    validate_vat,
    vat_of,
)


@pytest.mark.parametrize(
    ("value", "country", "scheme", "stored"),
    [
        ("175 074 752", "BG", None, BusinessId("BG-EIK", "175074752")),
        ("RO 185 472 90", "RO", None, BusinessId("RO-CUI", "18547290")),
        ("J52/750/2012", "RO", "RO-ONRC", BusinessId("RO-ONRC", "J52/750/2012")),
        ("9331310000", "SI", None, BusinessId("SI-MS", "9331310")),  # unit suffix 000 dropped
        ("094259216", "GR", None, BusinessId("EL-AFM", "094259216")),  # Greece as EL
        ("2077474-0", "FI", "fi-yt", BusinessId("FI-YT", "20774740")),
        ("552 008 443", "FR", None, BusinessId("FR-SIREN", "552008443")),
        ("0403.170.701", "BE", None, BusinessId("BE-KBO", "0403170701")),
    ],
)
def test_identifiers_are_checked_by_their_scheme_and_stored_compact(
    value: str, country: str, scheme: str | None, stored: BusinessId
) -> None:
    assert validate_business_id(value, country, scheme) == stored


@pytest.mark.parametrize(
    ("value", "country", "scheme", "message"),
    [
        ("175074751", "BG", None, "not a valid EIK/BULSTAT (ЕИК): its check digit is wrong"),
        ("7501020018", "BG", None, "an organisation's has 9 characters"),  # a personal EGN
        ("18547290", "BG", "RO-CUI", "RO-CUI is a scheme of RO, not BG (whose are: BG-EIK)"),
        ("18547290", "RO", "RO-XYZ", "unknown scheme 'RO-XYZ'; the schemes are AT-FN"),
        ("12345", "DE", None, "no national business identifier scheme is known for DE"),
        ("12", "SI", None, "not a valid matična številka: it has the wrong length"),
    ],
)
def test_a_wrong_identifier_is_explained(
    value: str, country: str, scheme: str | None, message: str
) -> None:
    with pytest.raises(InvalidIdentifier, match=re.escape(message)):
        validate_business_id(value, country, scheme)


def test_each_country_s_first_scheme_is_its_default_and_codes_are_unique() -> None:
    codes = [scheme.code for scheme in BUSINESS_ID_SCHEMES]
    assert len(codes) == len(set(codes))
    assert [s.code for s in schemes_of("RO")] == ["RO-CUI", "RO-ONRC"]
    assert [s.code for s in schemes_of("GR")] == ["EL-AFM"]
    for scheme in BUSINESS_ID_SCHEMES:
        assert lookup_country(scheme.country).code == scheme.country, "stored country form"
        assert scheme.code.startswith(scheme.country + "-")


def test_a_vat_number_and_the_identifier_it_is_made_of_imply_each_other() -> None:
    assert vat_of(BusinessId("BG-EIK", "175074752")) == "BG175074752"
    assert vat_of(BusinessId("RO-CUI", "18547290")) == "RO18547290"
    assert vat_of(BusinessId("EL-AFM", "094259216")) == "EL094259216"
    assert business_id_of_vat("BG175074752", "BG") == BusinessId("BG-EIK", "175074752")
    assert business_id_of_vat("HR94577403194", "HR") == BusinessId("HR-OIB", "94577403194")


def test_schemes_unrelated_to_the_vat_number_imply_nothing() -> None:
    assert vat_of(BusinessId("SI-MS", "9331310")) is None  # Slovenia's VAT is the davčna
    assert vat_of(BusinessId("FR-SIREN", "552008443")) is None  # FR adds a key before it
    assert business_id_of_vat("BG7501020018", "BG") is None  # a person's 10-digit number
    assert business_id_of_vat("DE136695976", "DE") is None


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("BE-KBO", 10),
        ("BG-EIK", 9),
        ("DK-CVR", 8),
        ("EL-AFM", 9),
        ("HR-OIB", 11),
        ("IT-CF", 11),
        ("PT-NIPC", 9),
    ],
)
def test_an_identifier_and_its_vat_number_imply_each_other_as_a_full_check_says(
    code: str, digits: int
) -> None:
    """Where one stdnum module checks both, the implied number is not checked twice: the
    shortcut must answer what checking it again answers."""
    scheme = SCHEMES_BY_CODE[code]
    rng = random.Random(code)
    found = 0
    while found < 25:
        candidate = f"{rng.randrange(10**digits):0{digits}d}"
        try:
            identifier = validate_business_id(candidate, scheme.country, code)
        except InvalidIdentifier:
            continue
        found += 1
        vat = validate_vat(identifier.value, scheme.country)
        assert vat_of(identifier) == vat
        assert business_id_of_vat(vat, scheme.country) == BusinessId(code, scheme.compact(vat[2:]))
