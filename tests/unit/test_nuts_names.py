from __future__ import annotations

import pytest
from synergia_shared.reference.nuts_names import (
    AmbiguousRegionName,
    RegionFilter,
    UnknownRegionName,
    normalise_region_name,
    resolve_region_name,
)

# --- Bulgaria: English with a designator, Cyrillic, romanised


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Blagoevgrad Province", "BG413"),
        ("Благоевград", "BG413"),
        ("Бургас", "BG341"),
        ("Burgas", "BG341"),
        ("BURGAS PROVINCE", "BG341"),
        ("Област Бургас", "BG341"),
        ("Veliko Tarnovo", "BG321"),
        ("Велико Търново", "BG321"),
        ("Sofia (stolitsa)", "BG411"),
        ("Sofia Province", "BG412"),
        ("Югоизточен", "BG34"),
        ("Yugoiztochen Region", "BG34"),
    ],
)
def test_bulgarian_regions_by_english_cyrillic_and_romanised_names(name: str, code: str) -> None:
    region = resolve_region_name(name)
    assert (region.code, region.country, region.version) == (code, "BG", "2024")


def test_bulgarian_region_keeps_its_label_in_cyrillic() -> None:
    region = resolve_region_name("Burgas Province", RegionFilter(country="BG"))
    assert (region.name, region.level) == ("Бургас", 3)


# --- Romania NUTS 2, Slovenia NUTS 3, Greece


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Sud-Vest Oltenia", "RO41"),
        ("sud vest oltenia", "RO41"),
        ("Regiunea Sud-Vest Oltenia", "RO41"),
        ("Bucureşti-Ilfov", "RO32"),
        ("București - Ilfov", "RO32"),  # comma-below ș where the label has cedilla ş
        ("Nord-Vest", "RO11"),
    ],
)
def test_romanian_nuts2_regions(name: str, code: str) -> None:
    region = resolve_region_name(name)
    assert (region.code, region.level) == (code, 2)


def test_romanian_county_whose_workbook_cell_starts_blank_has_its_name() -> None:
    # RO322's NUTS 1 label cell holds a single space; its name is in the NUTS 3 cell.
    assert resolve_region_name("Ilfov").code == "RO322"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Osrednjeslovenska", "SI041"),
        ("Jugovzhodna Slovenija", "SI037"),
        ("Obalno-kraška", "SI044"),
        ("obalno kraska statistična regija", "SI044"),
        ("Goriška", "SI043"),
    ],
)
def test_slovenian_nuts3_regions(name: str, code: str) -> None:
    region = resolve_region_name(name, RegionFilter(country="SI"))
    assert (region.code, region.level) == (code, 3)


@pytest.mark.parametrize("name", ["Θεσσαλονίκη", "Thessaloniki", "THESSALONIKI"])
def test_greek_region_in_greek_and_latin(name: str) -> None:
    region = resolve_region_name(name, RegionFilter(country="GR"))
    assert (region.code, region.country) == ("EL522", "EL")


def test_serbian_region_by_eurostats_latin_form() -> None:
    assert resolve_region_name("Južnobanatska oblast").code == "RS122"
    assert resolve_region_name("Јужнобанатска област").code == "RS122"


# --- ambiguity


def test_a_name_at_two_levels_is_refused_listing_both() -> None:
    with pytest.raises(AmbiguousRegionName) as refused:
        resolve_region_name("Leipzig")
    assert [(r.code, r.level) for r in refused.value.candidates] == [("DED5", 2), ("DED52", 3)]
    assert "DED5 Leipzig, NUTS 2" in str(refused.value)
    assert "DED52 Leipzig, NUTS 3" in str(refused.value)


def test_a_level_settles_a_name_at_two_levels() -> None:
    assert resolve_region_name("Leipzig", RegionFilter(level=3)).code == "DED52"
    assert resolve_region_name("Leipzig", RegionFilter(level=2)).code == "DED5"


def test_a_name_in_two_countries_is_refused_listing_both() -> None:
    with pytest.raises(AmbiguousRegionName) as refused:
        resolve_region_name("Nord-Est")
    assert [(r.code, r.country) for r in refused.value.candidates] == [
        ("ITH", "IT"),
        ("RO21", "RO"),
    ]


def test_a_country_settles_a_name_in_two_countries() -> None:
    assert resolve_region_name("Nord-Est", RegionFilter(country="RO")).code == "RO21"
    assert resolve_region_name("Jura", RegionFilter(country="FR")).code == "FRC22"
    assert resolve_region_name("Jura", RegionFilter(country="CH")).code == "CH025"


# --- unknown names: hinted, never guessed


def test_an_older_romanisation_is_refused_with_the_region_as_a_hint() -> None:
    with pytest.raises(UnknownRegionName) as refused:
        resolve_region_name("Veliko Turnovo", RegionFilter(country="BG"))
    assert [r.code for r in refused.value.candidates] == ["BG321"]
    assert "did you mean BG321 Велико Търново (Veliko Tarnovo), NUTS 3" in str(refused.value)


def test_an_unknown_english_name_is_not_guessed_but_both_sofias_are_hinted() -> None:
    with pytest.raises(UnknownRegionName) as refused:
        resolve_region_name("Sofia Capital Municipality")
    assert {r.code for r in refused.value.candidates} == {"BG411", "BG412"}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Sofia City Province", "BG411"),
        ("Southwestern Planning Region", "BG41"),
        ("South-West Oltenia Development Region", "RO41"),
        ("Bucharest-Ilfov", "RO32"),
        ("Central Slovenia Statistical Region", "SI041"),
        ("Southeast Slovenia", "SI037"),
        ("Coastal\u2013Karst", "SI044"),  # an en dash, as English texts write it
    ],
)
def test_english_names_the_statistical_offices_publish(name: str, code: str) -> None:
    assert resolve_region_name(name).code == code


def test_an_english_name_two_countries_translate_alike_is_ambiguous() -> None:
    with pytest.raises(AmbiguousRegionName) as refused:
        resolve_region_name("North-West Region")
    assert [r.code for r in refused.value.candidates] == ["BG31", "RO11"]
    assert resolve_region_name("North-West Region", RegionFilter(country="RO")).code == "RO11"


def test_a_name_unlike_any_region_is_refused_without_hints() -> None:
    with pytest.raises(UnknownRegionName, match="no NUTS 2024 region in BG is named 'Atlantis'"):
        resolve_region_name("Atlantis", RegionFilter(country="BG"))


def test_a_region_of_another_country_is_unknown_in_this_one() -> None:
    with pytest.raises(UnknownRegionName):
        resolve_region_name("Burgas", RegionFilter(country="RO"))


def test_a_designator_alone_is_not_a_name() -> None:
    with pytest.raises(UnknownRegionName):
        resolve_region_name(" - ")


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (RegionFilter(country="XX"), "unknown country code 'XX'"),
        (RegionFilter(level=4), "levels are 0 to 3"),
        (RegionFilter(version="2013"), "unknown NUTS version '2013'"),
    ],
)
def test_a_filter_that_makes_no_sense_is_refused(where: RegionFilter, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_region_name("Burgas", where)


# --- versions


def test_nuts_2021_names_resolve_to_nuts_2021_codes() -> None:
    region = resolve_region_name("Бургас", RegionFilter(version="2021"))
    assert (region.code, region.version) == ("BG341", "2021")


def test_uk_regions_resolve_only_in_nuts_2016() -> None:
    assert resolve_region_name("Inner London - West", RegionFilter(version="2016")).code == "UKI3"
    with pytest.raises(UnknownRegionName):
        resolve_region_name("Inner London - West")


# --- the normal form


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("Бургас", "burgas"),
        ("Търговище", "targovishte"),
        ("Blagoevgrad Province", "blagoevgrad"),
        ("  Sud-Vest   Oltenia ", "sud vest oltenia"),
        ("Région de Bruxelles-Capitale", "de bruxelles capitale"),
        ("Κεντρική Μακεδονία", "kentriki makedonia"),
        ("Πελοπόννησος", "peloponnisos"),
    ],
)
def test_normal_form(name: str, normal: str) -> None:
    assert normalise_region_name(name) == normal
