"""The demo data set as a plan: every request body, decided up front from one seed.

Pure and deterministic: the same seed and size give the same plan, byte for byte, which
is what lets the loader send the same Idempotency-Key with the same body on a re-run.
Actors are referred to by their plan key (``a0042``) until the loader knows their ids.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from synergia_shared.reference.competences import LABELS as COMPETENCE_LABELS
from synergia_shared.reference.competences import Competence
from synergia_shared.reference.countries import lookup_country
from synergia_shared.reference.nace import validate_nace
from synergia_shared.reference.nuts import validate_nuts

from synergia_devstack.demo.vocabulary import (
    CHAIN_THEMES,
    COMPETENCE_KEYWORDS,
    CONTACT_ROLES,
    COUNTRIES,
    KIND_NACE,
    LOCAL_TOPICS,
    LOCALES,
    SECTORS,
    CountryProfile,
    Locale,
    Sector,
)

T = TypeVar("T")

# Kinds other than cluster organisations, in roughly the proportions of the innovation
# actors in the cluster programme's consortia: mostly SMEs.
KIND_WEIGHTS: dict[str, float] = {
    "sme": 66,
    "large_enterprise": 6,
    "research_organisation": 8,
    "university": 6,
    "sme_intermediary": 4,
    "investor": 3,
    "public_authority": 4,
    "other": 3,
}
# The SME definition's bands (Recommendation 2003/361/EC), with margins so that both
# accounting years stay inside one band: (headcount, turnover, balance sheet) ranges.
SME_BANDS: dict[str, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    "micro": ((1, 9), (80_000, 1_800_000), (50_000, 1_700_000)),
    "small": ((10, 45), (2_300_000, 9_000_000), (2_200_000, 9_000_000)),
    "medium": ((55, 240), (11_000_000, 45_000_000), (10_500_000, 40_000_000)),
}
SME_CATEGORY_WEIGHTS = {"micro": 55, "small": 30, "medium": 15}
FINANCIAL_YEARS = (2023, 2024)
# Value chains walk draft → open → formed → running → closed; the demo stops each at one
# of these, in this order, so that every status shows up early.
STATUS_PATH = ("draft", "open", "formed", "running", "closed")
STATUS_TARGETS = (
    "formed",
    "open",
    "draft",
    "running",
    "closed",
    "open",
    "formed",
    "draft",
    "open",
    "formed",
)
FSTP_CAP = 60_000  # EUR per third party (H2020 Rules for Participation Art. 23(7))
MIN_SME_SHARE = Decimal("0.78")  # the rule is 75 %; keep a margin
FIRST_JOIN = date(2014, 1, 1)
LAST_JOIN = date(2025, 6, 30)
LAST_LEAVE = date(2025, 10, 31)


@dataclass(frozen=True)
class DemoSize:
    actors: int = 2_000
    clusters: int = 40
    value_chains: int = 10

    def check(self) -> None:
        if self.actors < 1 or self.clusters < 0 or self.value_chains < 0:
            raise ValueError("sizes must be positive")
        if self.clusters > self.actors // 5:
            raise ValueError("at most one actor in five can be a cluster organisation")
        if self.value_chains and self.actors < 60:
            raise ValueError("value chains need at least 60 actors to draw participants from")

    @property
    def tag(self) -> str:
        return f"a{self.actors}-c{self.clusters}-v{self.value_chains}"


@dataclass(frozen=True)
class OwnerLink:
    owner_key: str
    share_percent: str
    controls: bool = False
    exempt_investor: bool = False


@dataclass
class ActorPlan:
    key: str
    kind: str
    country: str
    sector: Sector
    body: dict[str, Any]  # ActorCreate without owners
    owners: list[OwnerLink] = field(default_factory=list)
    sme_category: str | None = None  # what the accounts make it, ownership aside
    in_ownership: bool = False  # owns or is owned: kept out of the value chains


@dataclass(frozen=True)
class MemberPlan:
    actor_key: str
    joined_on: date
    committed: bool
    left_on: date | None = None


@dataclass
class ClusterPlan:
    actor_key: str
    profile: dict[str, Any]  # ClusterProfileUpdate
    members: list[MemberPlan]


@dataclass(frozen=True)
class ParticipantPlan:
    actor_key: str
    stage: int | None
    role: str
    planned_budget: str | None


@dataclass
class ValueChainPlan:
    key: str
    body: dict[str, Any]  # ValueChainCreate without lead_actor_ids and participants
    lead_keys: list[str]
    participants: list[ParticipantPlan]
    target_status: str


@dataclass
class DemoPlan:
    seed: int
    size: DemoSize
    actors: list[ActorPlan]
    clusters: list[ClusterPlan]
    value_chains: list[ValueChainPlan]

    @property
    def countries(self) -> set[str]:
        return {a.country for a in self.actors}


# --- helpers ---------------------------------------------------------------------------


def _weighted(rng: random.Random, options: Mapping[str, float]) -> str:
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def _pick(rng: random.Random, items: Sequence[T], k: int) -> list[T]:
    return rng.sample(list(items), min(k, len(items)))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _slug(text: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in _ascii(text).lower()).split()
    return "-".join(words)[:40].strip("-") or "org"


def _money(value: float | int | Decimal, step: int = 1_000) -> str:
    rounded = int(Decimal(value) / step) * step
    return f"{rounded}.00"


def _between(rng: random.Random, low: date, high: date) -> date:
    return low + timedelta(days=rng.randrange((high - low).days + 1))


@cache
def _nuts_codes(country: str, version: str) -> tuple[str, ...]:
    """Every level-3 region of ``country`` in NUTS ``version`` (extra-regio left out).

    ``synergia_shared.reference.nuts`` only validates; listing goes through its table.
    """
    from synergia_shared.reference.nuts import _regions

    codes = sorted(
        region.code
        for region in _regions(version).values()
        if region.country == country and region.level == 3 and not region.code.endswith("Z")
    )
    for code in codes[:1]:
        validate_nuts(code, country, version)  # the listing agrees with the validator
    return tuple(codes)


@cache
def _check_vocabulary() -> None:
    """Every code the vocabulary names is real; fails loudly on a typo."""
    for sector in SECTORS:
        for code in sector.nace:
            assert validate_nace(code).code == code, code
    for codes in KIND_NACE.values():
        for code in codes:
            assert validate_nace(code).code == code, code
    for country in COUNTRIES:
        assert lookup_country(country.code).code == country.code, country.code
        assert country.locale in LOCALES, country.locale
        if country.nuts_version:
            assert _nuts_codes(country.code, country.nuts_version), country.code


def _label(competence: Competence) -> str:
    return COMPETENCE_LABELS[competence]


def _lower_label(competence: Competence) -> str:
    label = _label(competence)
    return label if label.isupper() else label[0].lower() + label[1:]


# --- actors ----------------------------------------------------------------------------


def _acronym(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())[:8]


@dataclass(frozen=True)
class _Name:
    legal: str
    short: str  # short name, also what the web domain is made of
    city: str


class _Names:
    """Legal names, unique across the data set."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def brand(self, locale: Locale) -> str:
        parts = self.rng.choice((2, 2, 2, 3))
        return "".join(self.rng.choice(locale.syllables) for _ in range(parts)).capitalize()

    def make(self, kind: str, country: CountryProfile, sector: Sector) -> _Name:
        locale = LOCALES[country.locale]
        for _ in range(30):
            city = self.rng.choice(country.cities)
            legal, short = self._name(kind, country, locale, sector, city, self.brand(locale))
            if legal not in self.used:
                break
        else:
            legal = f"{legal} {len(self.used)}"  # give up on beauty, keep uniqueness
        self.used.add(legal)
        return _Name(legal, short, city)

    def _name(
        self,
        kind: str,
        country: CountryProfile,
        locale: Locale,
        sector: Sector,
        city: str,
        brand: str,
    ) -> tuple[str, str]:
        """(legal name, short name)."""
        rng = self.rng
        word = rng.choice(sector.words)
        form = rng.choice(country.sme_forms)
        topic = LOCAL_TOPICS[sector.ecosystem].get(country.locale, sector.topic)
        fill = {"city": city, "brand": brand, "topic": topic, "sector": sector.label}
        if kind == "sme":
            style = rng.random()
            if style < 0.5:
                return f"{brand} {word} {form}", brand
            if style < 0.7:
                return f"{brand} {form}", brand
            if style < 0.85:
                return f"{city} {word} {form}", f"{city} {word}"
            first, second = _pick(rng, locale.last_names, 2)
            return f"{first} & {second} {word} {form}", f"{first} & {second}"
        if kind == "large_enterprise":
            large = rng.choice(country.large_forms)
            pattern = rng.choice(("{brand} {word} Group", "{brand} Industries", "{brand}"))
            return f"{pattern.format(brand=brand, word=word)} {large}", brand
        if kind == "investor":
            pattern = rng.choice(
                (
                    "{brand} Ventures",
                    "{brand} Capital Partners {form}",
                    "{city} {sector} Fund",
                    "{brand} Invest {form}",
                )
            )
            legal = pattern.format(form=form, **fill)
            return legal, brand if "{brand}" in pattern else _acronym(legal)
        patterns = {
            "research_organisation": locale.institute,
            "university": locale.university,
            "cluster_organisation": locale.cluster,
            "public_authority": locale.agency,
            "sme_intermediary": locale.intermediary,
            "other": (
                "{brand} Foundation",
                "{city} Technology Park",
                "{city} {sector} Association",
            ),
        }[kind]
        legal = rng.choice(patterns).format(**fill)
        return legal, _acronym(legal) or brand


KIND_PHRASES = {
    "large_enterprise": "large industrial group",
    "research_organisation": "research organisation",
    "university": "university",
    "cluster_organisation": "cluster organisation",
    "sme_intermediary": "business support organisation",
    "investor": "investor",
    "public_authority": "public authority",
    "other": "non-profit organisation",
}
SIZE_WORDS = {"micro": "micro", "small": "small", "medium": "medium-sized"}


def _description(
    name: str,
    kind: str,
    category: str | None,
    city: str,
    country: str,
    sector: Sector,
    competences: Sequence[Competence],
    keywords: Sequence[str],
) -> str:
    if kind == "sme":
        what = f"{SIZE_WORDS.get(category or '', 'small')} company"
    else:
        what = KIND_PHRASES[kind]
    article = "an" if what[0] in "aeiou" else "a"
    text = (
        f"{name} is {article} {what} in {city}, {lookup_country(country).name}, working with "
        f"{sector.phrase}."
    )
    if competences:
        text += " Competences: " + ", ".join(_lower_label(c) for c in competences) + "."
    if keywords:
        text += " Current focus: " + " and ".join(keywords[:2]) + "."
    return text


def _offer(
    rng: random.Random,
    kind: str,
    sector: Sector,
    competences: Sequence[Competence],
    country_name: str,
    city: str,
) -> dict[str, Any]:
    competence = rng.choice(competences) if competences else rng.choice(sector.competences)
    keyword = rng.choice(COMPETENCE_KEYWORDS[competence])
    comp, comp_lower = _label(competence), _lower_label(competence)
    if kind == "cluster_organisation":
        kind_of, title = (
            "business_offer",
            (
                f"Access to {rng.randrange(25, 180)} {sector.label.lower()} companies in "
                f"{country_name}"
            ),
        )
    elif kind == "investor":
        competence = Competence.FINANCE_INVESTMENT
        kind_of, title = (
            "business_offer",
            (f"Seed and Series A investment for {sector.label.lower()} start-ups"),
        )
    elif kind in ("research_organisation", "university"):
        kind_of, title = (
            "technology_offer",
            rng.choice(
                (
                    f"Contract research in {comp_lower} for {sector.phrase}",
                    f"Test facilities for {keyword}",
                    f"Licensing of patented {keyword} technology",
                )
            ),
        )
    elif rng.random() < 0.6:
        kind_of, title = (
            "technology_offer",
            rng.choice(
                (
                    f"{comp} for {sector.phrase}",
                    f"{keyword.capitalize()} for {sector.phrase}",
                    f"Pilot-scale {comp_lower} services",
                )
            ),
        )
    else:
        kind_of, title = (
            "business_offer",
            rng.choice(
                (
                    f"Contract manufacturing for {sector.phrase}",
                    f"Distribution of {sector.label.lower()} products in {country_name}",
                    f"Market access to {country_name} for {sector.phrase}",
                )
            ),
        )
    return {
        "type": kind_of,
        "title": title,
        "description": f"Offered from {city}, {country_name}; references available on request.",
        "competences": [competence.value],
        "keywords": [keyword],
    }


def _need(
    rng: random.Random,
    kind: str,
    sector: Sector,
    competences: Sequence[Competence],
    other_country_name: str,
) -> dict[str, Any]:
    pool = [c for c in sector.competences if c not in competences] or list(sector.competences)
    competence = rng.choice(pool)
    keyword = rng.choice(COMPETENCE_KEYWORDS[competence])
    comp, comp_lower = _label(competence), _lower_label(competence)
    choice = rng.random()
    if kind == "cluster_organisation" or choice < 0.35:
        kind_of, title = (
            "business_request",
            rng.choice(
                (
                    f"Distributors for {sector.label.lower()} products in {other_country_name}",
                    f"Investors for scaling up {keyword}",
                    f"Partners in {other_country_name} for a cross-border {sector.label.lower()} "
                    "value chain",
                )
            ),
        )
    elif choice < 0.75:
        kind_of, title = (
            "technology_request",
            rng.choice(
                (
                    f"Partner with {comp_lower} expertise for {keyword}",
                    f"{comp} supplier wanted for a {keyword} pilot",
                )
            ),
        )
    else:
        kind_of, title = (
            "rd_request",
            rng.choice(
                (
                    f"R&D partner in {comp_lower} for a Horizon Europe proposal",
                    f"Joint research on {keyword} with a university or RTO",
                )
            ),
        )
    return {
        "type": kind_of,
        "title": title,
        "description": f"Looking for partners in {sector.phrase} and beyond.",
        "competences": [competence.value],
        "keywords": [keyword],
    }


def _financials(rng: random.Random, category: str) -> list[dict[str, Any]]:
    """Two accounting years inside one band of the SME definition (or above it: large)."""
    bands: tuple[tuple[int, int], ...]
    if category == "large":
        turnover = rng.randrange(60, 5_000) * 1_000_000
        base = [rng.randrange(300, 25_000), turnover, int(turnover * rng.uniform(0.6, 1.2))]
        bands = ((250, 10**6), (51_000_000, 10**12), (44_000_000, 10**12))
    else:
        bands = SME_BANDS[category]
        base = [rng.randrange(low, high + 1) for low, high in bands]
    years = []
    for offset, year in enumerate(FINANCIAL_YEARS):
        factor = 1.0 if offset == len(FINANCIAL_YEARS) - 1 else rng.uniform(0.85, 1.0)
        head, turnover, balance = (
            min(max(int(value * factor), low), high)
            for value, (low, high) in zip(base, bands, strict=True)
        )
        years.append(
            {
                "year": year,
                "headcount": str(head),
                "turnover": _money(turnover),
                "balance_sheet": _money(balance),
            }
        )
    return years


def _contacts(rng: random.Random, locale: Locale, domain: str, kind: str) -> list[dict[str, Any]]:
    contacts = []
    for _ in range(1 if rng.random() < 0.7 else 2):
        first, last = rng.choice(locale.first_names), rng.choice(locale.last_names)
        consent = datetime(2023, 1, 2, 9, 0, tzinfo=UTC) + timedelta(
            days=rng.randrange(900), minutes=rng.randrange(8 * 60)
        )
        role = "Cluster Manager" if kind == "cluster_organisation" else rng.choice(CONTACT_ROLES)
        contacts.append(
            {
                "name": f"{first} {last}",
                "email": f"{_slug(first)}.{_slug(last)}".replace("-", "") + f"@{domain}",
                "role": role,
                "consent_given_at": consent.isoformat().replace("+00:00", "Z"),
                "share_with_partners": rng.random() < 0.6,
            }
        )
    if len(contacts) == 2 and contacts[0]["email"] == contacts[1]["email"]:
        contacts.pop()
    return contacts


def _actor(
    rng: random.Random, names: _Names, index: int, kind: str, country: CountryProfile
) -> ActorPlan:
    sector = rng.choices(SECTORS, weights=[s.weight for s in SECTORS])[0]
    ecosystems = [sector.ecosystem]
    if rng.random() < 0.35:
        ecosystems.append(rng.choice(SECTORS).ecosystem)
    if kind == "cluster_organisation" and rng.random() < 0.5:
        ecosystems.append(rng.choice(SECTORS).ecosystem)
    competences = _pick(rng, sector.competences, rng.randint(2, 4))
    category = _weighted(rng, SME_CATEGORY_WEIGHTS) if kind == "sme" else None
    name = names.make(kind, country, sector)
    city = name.city
    locale = LOCALES[country.locale]
    country_name = lookup_country(country.code).name
    other = lookup_country(rng.choice(COUNTRIES).code).name
    keywords = _pick(
        rng,
        [*sector.keywords, *(k for c in competences for k in COMPETENCE_KEYWORDS[c])],
        rng.randint(2, 4),
    )

    body: dict[str, Any] = {"legal_name": name.legal, "kind": kind, "country": country.code}
    if kind not in ("university", "public_authority") and rng.random() < 0.75:
        body["short_name"] = name.short
    company = kind in ("sme", "large_enterprise", "investor")
    domain = _slug(name.short) if company else f"{_slug(name.short)}-{_slug(city)}"
    domain = f"{domain}.{country.tld}"
    if rng.random() < 0.85:
        body["website"] = f"https://www.{domain}"
    body["description"] = _description(
        name.legal, kind, category, city, country.code, sector, competences, keywords
    )
    if country.nuts_version:
        body["nuts_code"] = rng.choice(_nuts_codes(country.code, country.nuts_version))
        body["nuts_version"] = country.nuts_version
    if kind in ("sme", "large_enterprise"):
        body["nace_codes"] = _pick(rng, sector.nace, rng.choice((1, 1, 2)))
    else:
        body["nace_codes"] = [rng.choice(KIND_NACE[kind])]
    body["ecosystems"] = [e.value for e in dict.fromkeys(ecosystems)]
    body["competences"] = [c.value for c in competences]
    body["keywords"] = keywords

    offers: list[dict[str, Any]] = []
    needs: list[dict[str, Any]] = []
    if kind != "public_authority" and rng.random() < 0.75:
        for _ in range(rng.choice((1, 1, 2))):
            offers.append(_offer(rng, kind, sector, competences, country_name, city))
    if kind in ("sme", "large_enterprise", "cluster_organisation") and rng.random() < 0.6:
        needs.append(_need(rng, kind, sector, competences, other))
    if offers:
        body["offers"] = offers
    if needs:
        body["needs"] = needs

    if kind == "sme":
        assert category is not None
        body["financials"] = _financials(rng, category)
        roll = rng.random()
        if roll < 0.9:
            body["sme_declared"] = category
        elif roll < 0.95:  # declares less than the accounts show: flagged
            body["sme_declared"] = {"micro": "small", "small": "micro", "medium": "small"}[category]
    elif kind == "large_enterprise":
        body["financials"] = _financials(rng, "large")
        if rng.random() < 0.6:
            body["sme_declared"] = "not_sme"
    if rng.random() < 0.35:
        body["contacts"] = _contacts(rng, locale, domain, kind)
    return ActorPlan(
        key=f"a{index:05d}",
        kind=kind,
        country=country.code,
        sector=sector,
        body=body,
        sme_category=category,
    )


def _layout(rng: random.Random, size: DemoSize) -> list[tuple[str, CountryProfile]]:
    """(kind, country) per actor: every country at least once when there is room."""
    eligible = [c for c in COUNTRIES if lookup_country(c.code).eligible_for_consortium]
    cluster_countries = rng.choices(eligible, weights=[c.weight for c in eligible], k=size.clusters)
    others = size.actors - size.clusters
    countries = list(COUNTRIES[:others])
    countries += rng.choices(
        COUNTRIES, weights=[c.weight for c in COUNTRIES], k=others - len(countries)
    )
    kinds = [_weighted(rng, KIND_WEIGHTS) for _ in range(others)]
    layout = [("cluster_organisation", c) for c in cluster_countries]
    layout += list(zip(kinds, countries, strict=True))
    rng.shuffle(layout)
    return layout


def _ownership(rng: random.Random, actors: list[ActorPlan]) -> None:
    """A few partner and linked enterprises (2003/361/EC Annex Art. 3) among the SMEs.

    Each owner holds one stake and is not owned itself: one level, so that the loader
    can register every owner before the actors it owns.
    """
    smes = [a for a in actors if a.kind == "sme"]
    if len(smes) < 10:
        return
    pools = {
        kind: rng.sample(members, len(members))
        for kind in ("sme", "large_enterprise", "investor")
        for members in [[a for a in actors if a.kind == kind]]
    }
    owned_pool = rng.sample(smes, len(smes))

    def take(pool: list[ActorPlan]) -> ActorPlan | None:
        while pool:
            actor = pool.pop()
            if not actor.in_ownership:
                return actor
        return None

    for n in range(max(1, round(0.03 * len(smes)))):
        style = ("partner", "linked", "investor")[n % 3]
        owner_kind = {"partner": "sme", "linked": "large_enterprise", "investor": "investor"}
        owner = take(pools[owner_kind[style]])
        if owner is None:
            continue
        owner.in_ownership = True
        owned = take(owned_pool)
        if owned is None:
            return
        if style == "partner":
            link = OwnerLink(owner.key, f"{rng.randrange(25, 50)}.00")
        elif style == "linked":
            link = OwnerLink(owner.key, f"{rng.randrange(51, 90)}.00")
        else:
            link = OwnerLink(owner.key, f"{rng.randrange(20, 46)}.00", exempt_investor=True)
        owned.owners.append(link)
        owned.in_ownership = True


# --- clusters --------------------------------------------------------------------------


def _cluster(rng: random.Random, cluster: ActorPlan, actors: list[ActorPlan]) -> ClusterPlan:
    ecosystems = list(cluster.body["ecosystems"])
    sectors = [s for s in SECTORS if s.ecosystem.value in ecosystems]
    priorities = list(dict.fromkeys(p for s in sectors for p in s.s3))
    profile: dict[str, Any] = {
        "ecosystems": ecosystems,
        "s3_priorities": _pick(rng, priorities, rng.randint(1, 3)),
    }
    label = _weighted(rng, {"gold": 10, "silver": 25, "bronze": 35, "": 30})
    if label:
        expired = rng.random() < 0.15
        year = 2024 if expired else rng.choice((2026, 2027, 2028))
        profile["esca_label"] = label
        profile["esca_valid_until"] = date(year, rng.randint(1, 12), 28).isoformat()
    fte = Decimal("0.30") if rng.random() < 0.06 else Decimal(rng.randrange(2, 25)) / 4
    profile["management_fte"] = f"{fte:.2f}"

    candidates = [a for a in actors if a.kind != "cluster_organisation"]
    home = [a for a in candidates if a.country == cluster.country]
    related = [
        a
        for a in candidates
        if a.country != cluster.country and set(a.body["ecosystems"]) & set(ecosystems)
    ]
    wanted = rng.randint(12, 45)
    chosen: dict[str, ActorPlan] = {}
    helix = [a for a in home if a.kind in ("research_organisation", "university")]
    helix += [a for a in home if a.kind == "public_authority"][:1]
    for actor in _pick(rng, helix, 2):
        chosen[actor.key] = actor
    for pool, share in ((home, 0.65), (related, 1.0), (candidates, 1.0)):
        room = int(wanted * share) - len(chosen)
        for actor in _pick(rng, [a for a in pool if a.key not in chosen], max(room, 0)):
            chosen[actor.key] = actor
    members = []
    for actor in chosen.values():
        joined = _between(rng, FIRST_JOIN, LAST_JOIN)
        left = None
        if rng.random() < 0.05:
            left = min(joined + timedelta(days=rng.randrange(200, 1500)), LAST_LEAVE)
        members.append(MemberPlan(actor.key, joined, rng.random() < 0.85, left))
    return ClusterPlan(cluster.key, profile, members)


# --- value chains ----------------------------------------------------------------------


def _value_chain(
    rng: random.Random, index: int, leads_pool: list[ActorPlan], actors: list[ActorPlan]
) -> ValueChainPlan:
    theme = CHAIN_THEMES[index % len(CHAIN_THEMES)]
    round_no = index // len(CHAIN_THEMES)
    title = theme.title if round_no == 0 else f"{theme.title} ({round_no + 1})"
    themed = {e.value for e in theme.ecosystems}

    def affinity(actor: ActorPlan, competences: set[str]) -> float:
        score = len(set(actor.body["competences"]) & competences) * 2
        score += len(set(actor.body["ecosystems"]) & themed)
        return score + rng.random()

    by_affinity = sorted(leads_pool, key=lambda a: -affinity(a, set()))
    leads = [by_affinity[0]]
    second = [a for a in by_affinity[1:4] if a.country != leads[0].country]
    if second and rng.random() < 0.5:
        leads.append(second[0])

    usable = [
        a
        for a in actors
        if not a.in_ownership and lookup_country(a.country).eligible_for_consortium
    ]
    smes = [a for a in usable if a.kind == "sme"]
    taken = {a.key for a in leads}
    countries: set[str] = set()
    participants = [
        ParticipantPlan(leads[0].key, None, "coordinator", _money(rng.randrange(150, 351) * 1_000))
    ]
    if len(leads) > 1:
        participants.append(
            ParticipantPlan(leads[1].key, None, "partner", _money(rng.randrange(80, 201) * 1_000))
        )

    def choose(pool: list[ActorPlan], competences: set[str]) -> ActorPlan | None:
        free = [a for a in pool if a.key not in taken]
        if not free:
            return None
        # Prefer a new country until the consortium spans three.
        best = max(
            free,
            key=lambda a: (
                affinity(a, competences)
                + (3 if a.country not in countries and len(countries) < 3 else 0)
            ),
        )
        taken.add(best.key)
        countries.add(best.country)
        return best

    stages = []
    for position, stage in enumerate(theme.stages):
        stages.append(
            {
                "name": stage.name,
                "description": stage.description,
                "competences": [c.value for c in stage.competences],
                "keywords": list(stage.keywords),
            }
        )
        wanted = {c.value for c in stage.competences}
        for _ in range(rng.choice((1, 2, 2))):
            sme = choose(smes, wanted)
            if sme is not None:
                budget = _money(rng.randrange(150, 601) * 1_000)
                participants.append(ParticipantPlan(sme.key, position, "partner", budget))
    for _ in range(rng.randint(2, 5)):
        position = rng.randrange(len(stages))
        sme = choose(smes, {c.value for c in theme.stages[position].competences})
        if sme is not None:
            budget = _money(rng.randrange(20, FSTP_CAP // 1_000 + 1) * 1_000)
            participants.append(ParticipantPlan(sme.key, position, "third_party", budget))
    research = [a for a in usable if a.kind in ("research_organisation", "university")]
    position = rng.randrange(len(stages))
    academic = choose(research, {c.value for c in theme.stages[position].competences})
    if academic is not None:
        participants.append(ParticipantPlan(academic.key, position, "associated", None))
    large = [a for a in usable if a.kind == "large_enterprise"]
    if rng.random() < 0.4:
        company = choose(large, set())
        if company is not None:
            budget = _money(rng.randrange(100, 301) * 1_000)
            participants.append(ParticipantPlan(company.key, None, "partner", budget))
    participants = _sme_share(participants, {a.key for a in smes})
    body = {
        "title": title,
        "strategic_vision": theme.vision,
        "target_industry": theme.target_industry,
        "ecosystems": [e.value for e in theme.ecosystems],
        "stages": stages,
    }
    target = STATUS_TARGETS[index % len(STATUS_TARGETS)]
    return ValueChainPlan(f"v{index:03d}", body, [a.key for a in leads], participants, target)


def _sme_share(participants: list[ParticipantPlan], smes: set[str]) -> list[ParticipantPlan]:
    """Scale the SME partners' budgets so that SMEs get well over 75 % of the total."""

    def budget(p: ParticipantPlan) -> Decimal:
        return Decimal(p.planned_budget or 0)

    other = sum((budget(p) for p in participants if p.actor_key not in smes), Decimal(0))
    sme = sum((budget(p) for p in participants if p.actor_key in smes), Decimal(0))
    partners = sum(
        (budget(p) for p in participants if p.actor_key in smes and p.role == "partner"),
        Decimal(0),
    )
    needed = other * MIN_SME_SHARE / (1 - MIN_SME_SHARE)
    if sme >= needed or not partners:
        return participants
    factor = (needed - (sme - partners)) / partners
    return [
        ParticipantPlan(p.actor_key, p.stage, p.role, _money(budget(p) * factor + 999))
        if p.actor_key in smes and p.role == "partner"
        else p
        for p in participants
    ]


# --- the plan --------------------------------------------------------------------------


def _rng(seed: int) -> random.Random:
    return random.Random(f"synergia-demo/{seed}")  # noqa: S311 - demo data, not secrets


def _actors(rng: random.Random, size: DemoSize) -> list[ActorPlan]:
    _check_vocabulary()
    names = _Names(rng)
    actors = [
        _actor(rng, names, index, kind, country)
        for index, (kind, country) in enumerate(_layout(rng, size))
    ]
    _ownership(rng, actors)
    return actors


def generate_actors(seed: int, size: DemoSize) -> list[ActorPlan]:
    """Only the actors of a plan (the search benchmark writes 100,000 of them directly)."""
    return _actors(_rng(seed), size)


def generate(seed: int = 2024, size: DemoSize | None = None) -> DemoPlan:
    """The whole demo data set for ``seed`` and ``size``; the same inputs, the same plan."""
    size = size or DemoSize()
    size.check()
    rng = _rng(seed)
    actors = _actors(rng, size)
    cluster_actors = [a for a in actors if a.kind == "cluster_organisation"]
    clusters = [_cluster(rng, c, actors) for c in cluster_actors]
    leads_pool = cluster_actors or [a for a in actors if a.kind == "sme_intermediary"]
    if size.value_chains and not leads_pool:
        raise ValueError("value chains need a cluster organisation or an SME intermediary")
    value_chains = [_value_chain(rng, i, leads_pool, actors) for i in range(size.value_chains)]
    return DemoPlan(seed, size, actors, clusters, value_chains)


def status_steps(current: str, target: str) -> list[str]:
    """The transitions from ``current`` to ``target`` along the life cycle (none backwards)."""
    here, there = STATUS_PATH.index(current), STATUS_PATH.index(target)
    return list(STATUS_PATH[here + 1 : there + 1])
