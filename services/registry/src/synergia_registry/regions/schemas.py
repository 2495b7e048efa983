"""What the region-name lookup answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from synergia_shared.http.problems import TYPE_BASE, Problem
from synergia_shared.reference.nuts import NutsRegion
from synergia_shared.reference.nuts_names import latin_name


class NutsRegionView(BaseModel):
    """One NUTS region, with its label as Eurostat writes it."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["BG341"])
    name: str = Field(description="The label in the national language", examples=["Бургас"])
    latin_name: str | None = Field(
        default=None,
        description="Eurostat's Latin form of a Cyrillic or Greek label",
        examples=["Burgas"],
    )
    level: int = Field(ge=0, le=3, description="0 is the country itself", examples=[3])
    country: str = Field(description="EU form (EL, UK)", examples=["BG"])
    version: str = Field(examples=["2024"])

    @classmethod
    def of(cls, region: NutsRegion) -> NutsRegionView:
        return cls(
            code=region.code,
            name=region.name,
            latin_name=latin_name(region),
            level=region.level,
            country=region.country,
            version=region.version,
        )


class RegionNameProblem(Problem):
    """A name that names no region (`candidates`: near misses) or several (all of them)."""

    candidates: list[NutsRegionView] = Field(
        description="Ambiguous: every region carrying the name. Unknown: near misses, "
        "never applied (maybe none)."
    )


AMBIGUOUS_EXAMPLE = {
    "type": f"{TYPE_BASE}ambiguous-region-name",
    "title": "Ambiguous region name",
    "status": 422,
    "detail": "'Nord-Est' names 2 NUTS 2024 regions: ITH Nord-Est, NUTS 1, RO21 Nord-Est, "
    "NUTS 2; narrow it down by country or level",
    "instance": "/v1/nuts-regions:resolve",
    "candidates": [
        {"code": "ITH", "name": "Nord-Est", "level": 1, "country": "IT", "version": "2024"},
        {"code": "RO21", "name": "Nord-Est", "level": 2, "country": "RO", "version": "2024"},
    ],
}
UNKNOWN_EXAMPLE = {
    "type": f"{TYPE_BASE}unknown-region-name",
    "title": "Unknown region name",
    "status": 404,
    "detail": "no NUTS 2024 region in BG is named 'Veliko Turnovo'; did you mean BG321 "
    "Велико Търново (Veliko Tarnovo), NUTS 3?",
    "instance": "/v1/nuts-regions:resolve",
    "candidates": [
        {
            "code": "BG321",
            "name": "Велико Търново",
            "latin_name": "Veliko Tarnovo",
            "level": 3,
            "country": "BG",
            "version": "2024",
        }
    ],
}
