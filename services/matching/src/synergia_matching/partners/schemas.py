from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from synergia_shared.events.registry import ActorKind
from synergia_shared.reference.competences import Competence
from synergia_shared.reference.ecosystems import Ecosystem

Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]


class Wanted(BaseModel):
    """What is needed (or, for mutual benefit, offered)."""

    model_config = ConfigDict(extra="forbid")

    text: FreeText = Field(default="", description="Free description, matched word by word")
    keywords: list[Keyword] = Field(default_factory=list, max_length=30)
    competences: list[Competence] = Field(default_factory=list, max_length=30)
    nace_codes: list[str] = Field(
        default_factory=list, max_length=30, description="NACE codes or prefixes: C28, C28.11"
    )
    ecosystems: list[Ecosystem] = Field(default_factory=list, max_length=14)


class Constraints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    countries_in: list[CountryCode] | None = Field(
        default=None, description="Only these countries (EU codes; GR/GB accepted)"
    )
    countries_out: list[CountryCode] = Field(default_factory=list)
    kinds: list[ActorKind] | None = None
    sme_only: bool = False
    eligible_countries_only: bool = Field(
        default=False, description="Only Member States and Associated Countries"
    )
    exclude_actor_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class PartnerSearch(BaseModel):
    """A partner search: what is needed, optionally who searches and what it offers."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "needs": {
                        "text": "hydrometallurgical recovery of lithium from spent batteries",
                        "keywords": ["battery recycling"],
                        "competences": ["materials_recycling"],
                        "nace_codes": ["E38"],
                    },
                    "offers": {"keywords": ["battery collection", "logistics"]},
                    "origin_country": "DE",
                    "origin_nace_codes": ["H49.41"],
                    "constraints": {"eligible_countries_only": True, "countries_out": ["DE"]},
                }
            ]
        },
    )

    needs: Wanted
    offers: Wanted | None = Field(
        default=None, description="What the searcher offers: scores mutual benefit"
    )
    searcher_actor_id: uuid.UUID | None = Field(
        default=None,
        description="Searching as this actor: its country, sectors and offers are used where "
        "the body gives none, and it and its linked enterprises are never suggested",
    )
    origin_country: CountryCode | None = None
    origin_nace_codes: list[str] = Field(default_factory=list, max_length=30)
    constraints: Constraints = Field(default_factory=Constraints)


class ScoreComponent(BaseModel):
    name: str = Field(
        description="complementarity, mutual_benefit, cross_border, cross_sector, "
        "s3_alignment or sme_focus"
    )
    value: float | None = Field(description="0 to 1; null when it does not apply to this search")
    weight: float = Field(description="Its share of the score in this search")
    explanation: str


class MatchedOffer(BaseModel):
    """One of the candidate's offers that matches the search, and on what."""

    id: str
    type: str = Field(examples=["technology_offer"])
    title: str
    terms: list[str] = Field(description="The needed terms its text matches (searched_terms)")
    competences: list[str] = Field(description="The needed competences it lists")


class PartnerSuggestion(BaseModel):
    actor_id: uuid.UUID
    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str
    nuts_code: str | None
    sme_category: str | None
    score: float = Field(
        description="0 to 1: complementarity times (its weight + the other components' "
        "weighted values)"
    )
    summary: str = Field(description="Why, in one sentence")
    components: list[ScoreComponent]
    matched_offers: list[MatchedOffer] = Field(
        description="Which of its offers match what is needed (its own keywords, description "
        "and competences may match too: see the complementarity component)"
    )


class CandidateTotal(BaseModel):
    value: int = Field(ge=0)
    exact: bool = Field(
        description="false when counting stopped at the cap (10,000): then at least `value`"
    )


class CandidateCount(BaseModel):
    value: str = Field(examples=["DE"])
    count: int = Field(ge=1, description="Candidates with this value")


class PartnerFacets(BaseModel):
    """Per facet asked for (the other is null): candidates per value, counted under
    every constraint but the facet's own; most frequent first."""

    country: list[CandidateCount] | None = None
    kind: list[CandidateCount] | None = None


class PartnerPage(BaseModel):
    items: list[PartnerSuggestion]
    next_cursor: str | None
    searched_terms: list[str] = Field(
        description="The needed terms as matched (each with its synonyms)"
    )
    total: CandidateTotal | None = Field(
        default=None, description="How many candidates the search has (with `total=true`)"
    )
    facets: PartnerFacets | None = Field(
        default=None, description="Candidates per country and kind (with `facets`)"
    )
