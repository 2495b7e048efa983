"""What the code lists look like (documentation: the answers are rendered once, as bytes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from synergia_shared.reference.countries import CountryStanding


class CodeListLink(BaseModel):
    name: str = Field(examples=["countries"])
    description: str
    version: str = Field(description="Changes whenever any answer of the list changes")
    href: str = Field(
        description="The list's URL with its version: cached for a year (immutable)",
        examples=["/v1/code-lists/countries?v=0f3c9a1b2d4e5f60"],
    )


class CodeListIndex(BaseModel):
    items: list[CodeListLink]


class CountryEntry(BaseModel):
    code: str = Field(description="EU form: EL for Greece, UK for the United Kingdom, XK")
    name: str
    horizon_2020: CountryStanding = Field(description="Standing in Horizon 2020")
    horizon_europe: CountryStanding = Field(description="Standing in Horizon Europe")
    eligible_for_consortium: bool = Field(
        description='Counts toward "3 Member States or Associated Countries" (Horizon 2020)'
    )
    names: dict[str, str] = Field(
        default_factory=dict,
        description="The name in each EU official language (ISO 639-1 code) that "
        "pycountry's translations (the iso-codes project) have it in; empty for XK",
        examples=[{"en": "Greece", "de": "Griechenland", "el": "Ελλάδα"}],
    )


class CountryList(BaseModel):
    items: list[CountryEntry]


class NutsRegionEntry(BaseModel):
    code: str = Field(examples=["BG341"])
    name: str = Field(description="Eurostat's label, in the national language and script")
    latin_name: str | None = Field(description="Eurostat's Latin form of a Cyrillic or Greek name")
    level: int = Field(ge=0, le=3, description="0 is the country itself")
    country: str
    parent: str | None = Field(description="The region one level up (the country at level 1)")


class NutsRegionList(BaseModel):
    version: Literal["2016", "2021", "2024"]
    items: list[NutsRegionEntry]


class NaceEntryView(BaseModel):
    code: str = Field(examples=["C28.11"])
    label: str
    level: int = Field(ge=1, le=4, description="1 section, 2 division, 3 group, 4 class")
    section: str
    parent: str | None


class NaceList(BaseModel):
    revision: Literal["2", "2.1"]
    items: list[NaceEntryView]


class NaceLinkView(BaseModel):
    rev2: str = Field(examples=["J62.01"])
    rev2_1: str = Field(examples=["K62.10"])
    label: str


class NaceCorrespondence(BaseModel):
    from_revision: Literal["2"]
    to_revision: Literal["2.1"]
    basis: Literal["same label"]
    items: list[NaceLinkView]


class CodeEntry(BaseModel):
    code: str
    label: str
    group: Literal["offer", "need"] | None = Field(
        default=None, description="Offer types only: an offer or a need"
    )


class CodeList(BaseModel):
    name: str
    description: str
    items: list[CodeEntry]
