from __future__ import annotations

import pytest
from synergia_shared.reference.competences import LABELS as COMPETENCE_LABELS
from synergia_shared.reference.competences import Competence
from synergia_shared.reference.ecosystems import LABELS as ECOSYSTEM_LABELS
from synergia_shared.reference.ecosystems import Ecosystem
from synergia_shared.reference.identifiers import InvalidIdentifier, validate_pic, validate_vat
from synergia_shared.reference.nace import InvalidNace, nace_section, validate_nace
from synergia_shared.reference.nuts import InvalidNuts, nuts_prefix_ok, validate_nuts

# --- NUTS


@pytest.mark.parametrize(
    ("code", "level", "name"),
    [
        ("DE", 0, "Germany"),
        ("DE1", 1, "Baden-Württemberg"),
        ("DE11", 2, "Stuttgart"),
        (" de111 ", 3, "Stuttgart, Stadtkreis"),
    ],
)
def test_real_german_regions_at_every_level(code: str, level: int, name: str) -> None:
    region = validate_nuts(code, "DE")
    assert (region.code, region.level, region.name) == (code.strip().upper(), level, name)
    assert (region.country, region.version) == ("DE", "2024")


@pytest.mark.parametrize("country", ["EL", "GR", "gr"])
def test_greece_is_accepted_in_both_forms_and_nuts_says_el(country: str) -> None:
    for version in ("2021", "2024"):
        region = validate_nuts("EL30", country, version)
        assert region.country == "EL"


def test_greek_iso_prefix_is_pointed_at_not_rewritten() -> None:
    with pytest.raises(InvalidNuts, match="NUTS writes GR as EL"):
        validate_nuts("GR30", "GR")


def test_uk_regions_are_in_nuts_2016_only() -> None:
    region = validate_nuts("UKI3", "GB", "2016")
    assert (region.country, region.name) == ("UK", "Inner London - West")
    for version in ("2021", "2024"):
        with pytest.raises(InvalidNuts, match=f"NUTS {version} has no regions for UK"):
            validate_nuts("UKI3", "UK", version)


def test_the_offline_nuts_2016_list_says_it_only_has_the_uk() -> None:
    with pytest.raises(InvalidNuts, match="only the United Kingdom"):
        validate_nuts("DE111", "DE", "2016")


def test_a_region_of_another_country_is_refused() -> None:
    with pytest.raises(InvalidNuts, match="NUTS region FR101 is in FR, not DE"):
        validate_nuts("FR101", "DE")


def test_a_code_that_does_not_exist_is_refused() -> None:
    with pytest.raises(InvalidNuts, match="NUTS code 'DE999' does not exist in NUTS 2024"):
        validate_nuts("DE999", "DE")


def test_codes_follow_their_version() -> None:
    # Thuringia's districts were renumbered in NUTS 2024.
    assert validate_nuts("DEG04", "DE", "2021").name == "Suhl, Kreisfreie Stadt"
    with pytest.raises(InvalidNuts):
        validate_nuts("DEG04", "DE", "2024")
    assert validate_nuts("DEG0S", "DE", "2024").level == 3


def test_statistical_regions_of_associated_countries() -> None:
    assert validate_nuts("NO081", "NO").name == "Oslo"
    assert validate_nuts("CH011", "CH").name == "Vaud"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("DE1", "DE", "2013"), "unknown NUTS version '2013'; known: 2016, 2021, 2024"),
        (("DE1", "XX"), "unknown country code"),
        (("D-1", "DE"), "is not a NUTS code"),
        (("DE1234", "DE"), "is not a NUTS code"),
    ],
)
def test_bad_input_is_explained(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(InvalidNuts, match=message):
        validate_nuts(*args)


@pytest.mark.parametrize(
    ("prefix", "ok"),
    [
        ("DE", True),
        ("de1", True),
        ("UKI3", True),
        ("DE111", True),
        ("D", False),
        ("DE1111", False),
        ("1E", False),
        ("DE-1", False),
        ("", False),
    ],
)
def test_nuts_prefix_is_a_syntactic_check(prefix: str, ok: bool) -> None:
    assert nuts_prefix_ok(prefix) is ok


# --- NACE


@pytest.mark.parametrize("spelling", ["C28.11", "28.11", "c 28.11", "2811", " C2811 "])
def test_common_nace_spellings_resolve_to_the_canonical_form(spelling: str) -> None:
    code = validate_nace(spelling)
    assert (code.code, code.section, code.revision) == ("C28.11", "C", "2.1")
    assert code.label.startswith("Manufacture of engines and turbines")


@pytest.mark.parametrize(
    ("spelling", "canonical"), [("C", "C"), ("a", "A"), ("28", "C28"), ("281", "C28.1")]
)
def test_sections_divisions_and_groups(spelling: str, canonical: str) -> None:
    code = validate_nace(spelling)
    assert code.code == canonical
    assert code.section == code.code[0]


def test_section_a_has_its_label() -> None:
    assert validate_nace("A").label == "AGRICULTURE, FORESTRY AND FISHING"


def test_revisions_differ_and_are_not_mixed() -> None:
    rev2 = validate_nace("62.01", "2")
    assert (rev2.code, rev2.label) == ("J62.01", "Computer programming activities")
    with pytest.raises(InvalidNace, match=r"does not exist in NACE Rev\. 2\.1"):
        validate_nace("62.01")
    assert validate_nace("62.10").code == "K62.10"
    assert nace_section("62.01", "2") == "J"
    assert nace_section("62.10") == "K"


def test_a_section_letter_that_contradicts_the_division_is_refused() -> None:
    with pytest.raises(InvalidNace, match="division 62 is in section K, not J"):
        validate_nace("J62.10")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Z",), "does not exist"),
        (("99.99",), "does not exist"),
        (("2.811",), "is not a NACE code"),
        (("",), "is not a NACE code"),
        (("C28.11", "3"), "unknown NACE revision '3'"),
    ],
)
def test_bad_nace_input_is_explained(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(InvalidNace, match=message):
        validate_nace(*args)


# --- identifiers

FULLWIDTH_DIGITS = "".join(chr(0xFF11 + i) for i in range(9))  # str.isdigit() would pass them


@pytest.mark.parametrize("value", ["123456789", " 123 456 789 "])
def test_pic(value: str) -> None:
    assert validate_pic(value) == "123456789"


@pytest.mark.parametrize("value", ["12345678", "1234567890", "12345678a", "", FULLWIDTH_DIGITS])
def test_bad_pic(value: str) -> None:
    with pytest.raises(InvalidIdentifier, match="exactly 9 digits"):
        validate_pic(value)


@pytest.mark.parametrize(
    ("value", "country", "stored"),
    [
        ("DE136695976", "DE", "DE136695976"),
        ("de 136 695 976", "DE", "DE136695976"),
        ("136695976", "DE", "DE136695976"),
        ("094259216", "GR", "EL094259216"),
        ("GR094259216", "EL", "EL094259216"),
        ("980780684", "UK", "GB980780684"),
        ("GB 980 7806 84", "GB", "GB980780684"),
        ("XI980780684", "UK", "XI980780684"),
        ("U57194903", "AT", "ATU57194903"),
        ("CHE-107.787.577 IVA", "CH", "CHE107787577IVA"),
        ("NO 995 525 828 MVA", "NO", "NO995525828MVA"),
        ("12-345-678", "US", "US12345678"),
    ],
)
def test_vat_numbers_are_stored_compact_with_the_tax_prefix(
    value: str, country: str, stored: str
) -> None:
    assert validate_vat(value, country) == stored


def test_a_wrong_vat_check_digit_is_named() -> None:
    with pytest.raises(InvalidIdentifier, match="check digit is wrong"):
        validate_vat("DE136695977", "DE")


def test_a_vat_prefix_of_another_country_is_refused() -> None:
    with pytest.raises(
        InvalidIdentifier, match=r"VAT number DE136695976 is from Germany .*the actor is in FR"
    ):
        validate_vat("DE136695976", "FR")


@pytest.mark.parametrize(("value", "country"), [("X1", "US"), ("", "DE"), ("DE1", "XX")])
def test_implausible_vat_numbers_are_refused(value: str, country: str) -> None:
    with pytest.raises(InvalidIdentifier):
        validate_vat(value, country)


# --- vocabularies


def test_the_fourteen_ecosystems_all_have_labels() -> None:
    assert len(Ecosystem) == 14
    assert set(ECOSYSTEM_LABELS) == set(Ecosystem)
    assert ECOSYSTEM_LABELS[Ecosystem.RENEWABLE_ENERGY] == "Energy-renewables"
    assert Ecosystem("mobility_transport_automotive") is Ecosystem.MOBILITY_TRANSPORT_AUTOMOTIVE


def test_competences_include_the_key_enabling_technologies_and_have_labels() -> None:
    kets = {
        "micro_nano_electronics",
        "nanotechnology",
        "photonics",
        "advanced_materials",
        "industrial_biotechnology",
        "advanced_manufacturing",
    }
    assert kets <= {c.value for c in Competence}
    assert set(COMPETENCE_LABELS) == set(Competence)
