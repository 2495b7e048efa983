"""Pure rules of funding reference data: money that adds up, rates that match, ceilings.

No I/O. Amounts are :class:`~decimal.Decimal` euros with at most two places (cents);
rates are fractions of one (``0.85`` is 85 %), never floats.

The decisions, in one place:

- **EU + national = total**, compared exactly: all three are already in cents, so "to the
  cent" means equal. Any difference, however small, is reported with its size.
- **The stated co-financing rate matches EU / total** when they differ by at most
  :data:`RATE_TOLERANCE` = 0.0001 (0.01 percentage point). The cohesion open-data portal
  publishes rates as percentages with two decimals (``50.00``, ``84.99``, see
  ``esif_csv``), so a correctly rounded rate is off by at most 0.005 point and a
  truncated one by less than 0.01 point; 0.01 point accepts both and nothing coarser (a
  rate rounded to a whole percent, 85 for 84.6, is reported). With a total of zero there
  is no rate to compare, and nothing is reported.
- **Ceilings** (:data:`CEILINGS`, with the article each number comes from) are the
  maximum EU co-financing rate per fund and category of region. Rates above a ceiling are
  *flagged*, never rejected: every ceiling has exceptions (higher rates for some regions,
  +10 points for a priority axis delivered wholly through financial instruments or
  community-led local development, 100 % for REACT-EU resources), and whether one
  applies is written in the programme's decision, not in the figures. The flag says which
  exceptions would allow the rate. Less developed regions of some Member States have a
  *lower* ceiling, 80 % (Art. 120(3)(c) and (d)); telling them apart needs the Member
  States' 2007-2009 GDP, which this module does not hold, so 85 % is the one checked.
- **A ceiling is compared in cents**, as the EU amount is: the EU amount exceeds a ceiling
  only when it is more than the total times the ceiling rounded up to the next cent. A
  plan line at exactly 85 % of a total that does not divide evenly (EU 85,000.01 of
  100,000.01, i.e. 85.0000099 %) is at the ceiling, not above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

# One enum for the ledger and the reference data: two classes of one name would give the
# OpenAPI document two schemas named after their modules.
from synergia_funding.ledger.entries import EsifFund as EsifFund

CENT = Decimal("0.01")
RATE_TOLERANCE = Decimal("0.0001")  # 0.01 percentage point
ONE = Decimal(1)
# The FSTP cap: €60,000 per third party unless the work programme says otherwise
# (Regulation (EU) No 1290/2013, H2020 Rules for Participation, Art. 23(7)).
FSTP_DEFAULT_CAP_PER_THIRD_PARTY = Decimal("60000.00")


class RegionCategory(StrEnum):
    """Category of region (Reg. (EU) No 1303/2013 Art. 90(2)), plus the additional
    allocation for outermost and northern sparsely populated regions (Art. 92(1)(e)),
    which the open data reports as a category of its own."""

    LESS_DEVELOPED = "less_developed"  # GDP per head below 75 % of the EU-27 average
    TRANSITION = "transition"  # between 75 % and 90 %
    MORE_DEVELOPED = "more_developed"  # above 90 %
    OUTERMOST_OR_SPARSELY_POPULATED = "outermost_or_northern_sparsely_populated"


# --- money ---------------------------------------------------------------------------


def amounts_mismatch(eu: Decimal, national: Decimal, total: Decimal) -> str | None:
    """Why EU + national is not the total, or None when it is (to the cent)."""
    added = eu + national
    if added == total:
        return None
    return (
        f"EU {eu:f} + national {national:f} = {added:f}, not the total {total:f} "
        f"(off by {added - total:+f})"
    )


def co_financing_rate(eu: Decimal, total: Decimal) -> Decimal | None:
    """The EU share, EU / total, as a fraction; None when the total is zero."""
    if total == 0:
        return None
    return eu / total


def format_rate(rate: Decimal) -> str:
    """A fraction as a percentage for messages: 0.85 -> '85 %', 0.849977 -> '84.9977 %'."""
    percent = (rate * 100).quantize(Decimal("0.0001")).normalize()
    return f"{percent:f} %"


def rate_mismatch(
    eu: Decimal, total: Decimal, stated: Decimal, tolerance: Decimal = RATE_TOLERANCE
) -> str | None:
    """Why the stated rate is not EU / total within ``tolerance``, or None when it is
    (or when the total is zero and there is nothing to compare)."""
    actual = co_financing_rate(eu, total)
    if actual is None or abs(actual - stated) <= tolerance:
        return None
    return (
        f"the stated co-financing rate {format_rate(stated)} is not EU / total = "
        f"{format_rate(actual)} (tolerance {format_rate(tolerance)})"
    )


# --- ceilings --------------------------------------------------------------------------

_CPR = "Reg. (EU) No 1303/2013"
_EAFRD_REG = "Reg. (EU) No 1305/2013"


@dataclass(frozen=True)
class Derogation:
    """A case in which the regulation allows a rate up to ``up_to``."""

    up_to: Decimal
    case: str
    source: str


@dataclass(frozen=True)
class Ceiling:
    rate: Decimal
    applies_to: str
    source: str
    derogations: tuple[Derogation, ...] = ()


_UPLIFT = "a priority axis delivered wholly through financial instruments or CLLD (+10 points)"
_REACT_EU = Derogation(
    ONE, "REACT-EU resources", f"{_CPR} Art. 92b, inserted by Reg. (EU) 2020/2221"
)
_FORMER_CONVERGENCE = (
    "regions below 75 % of the EU-25 average in 2007-2013 that are above 75 % of the EU-27 "
    "average now, and 2007-2013 phasing-out regions"
)

# The maximum EU co-financing rate per (fund, category of region); a fund whose ceiling
# does not depend on the category has the key (fund, None).
CEILINGS: dict[tuple[EsifFund, RegionCategory | None], Ceiling] = {}


def _cohesion_policy_ceilings(fund: EsifFund) -> None:
    CEILINGS[(fund, RegionCategory.LESS_DEVELOPED)] = Ceiling(
        Decimal("0.85"),
        f"{fund} in less developed regions",
        f"{_CPR} Art. 120(3)(b)",
        (Derogation(Decimal("0.95"), _UPLIFT, f"{_CPR} Art. 120(5)"), _REACT_EU),
    )
    CEILINGS[(fund, RegionCategory.TRANSITION)] = Ceiling(
        Decimal("0.60"),
        f"{fund} in transition regions",
        f"{_CPR} Art. 120(3)(e)",
        (
            Derogation(Decimal("0.80"), _FORMER_CONVERGENCE, f"{_CPR} Art. 120(3)(c)"),
            Derogation(Decimal("0.90"), f"those regions and {_UPLIFT}", f"{_CPR} Art. 120(5)"),
            _REACT_EU,
        ),
    )
    CEILINGS[(fund, RegionCategory.MORE_DEVELOPED)] = Ceiling(
        Decimal("0.50"),
        f"{fund} in more developed regions",
        f"{_CPR} Art. 120(3)(f)",
        (
            Derogation(Decimal("0.80"), _FORMER_CONVERGENCE, f"{_CPR} Art. 120(3)(c)"),
            Derogation(Decimal("0.90"), f"those regions and {_UPLIFT}", f"{_CPR} Art. 120(5)"),
            _REACT_EU,
        ),
    )


_cohesion_policy_ceilings(EsifFund.ERDF)
_cohesion_policy_ceilings(EsifFund.ESF)
CEILINGS[(EsifFund.ERDF, RegionCategory.OUTERMOST_OR_SPARSELY_POPULATED)] = Ceiling(
    Decimal("0.50"),
    "the ERDF additional allocation for outermost and northern sparsely populated regions",
    f"{_CPR} Art. 120(3), additional allocation of Art. 92(1)(e)",
)
CEILINGS[(EsifFund.CF, None)] = Ceiling(
    Decimal("0.85"),
    "the Cohesion Fund",
    f"{_CPR} Art. 120(3)(a)",
    (Derogation(Decimal("0.95"), _UPLIFT, f"{_CPR} Art. 120(5)"),),
)
CEILINGS[(EsifFund.YEI, None)] = Ceiling(
    ONE,
    "the YEI specific allocation (not subject to national co-financing)",
    "Reg. (EU) No 1304/2013 Art. 22",
)
CEILINGS[(EsifFund.EAFRD, RegionCategory.LESS_DEVELOPED)] = Ceiling(
    Decimal("0.85"),
    "the EAFRD in less developed and outermost regions",
    f"{_EAFRD_REG} Art. 59(3)(a)",
    (Derogation(ONE, "the measures listed in Art. 59(4)", f"{_EAFRD_REG} Art. 59(4)"),),
)
CEILINGS[(EsifFund.EAFRD, RegionCategory.OUTERMOST_OR_SPARSELY_POPULATED)] = CEILINGS[
    (EsifFund.EAFRD, RegionCategory.LESS_DEVELOPED)
]
for _category, _rate, _point in (
    (RegionCategory.TRANSITION, "0.63", "(c)"),
    (RegionCategory.MORE_DEVELOPED, "0.53", "(d)"),
):
    CEILINGS[(EsifFund.EAFRD, _category)] = Ceiling(
        Decimal(_rate),
        f"the EAFRD in {_category.value.replace('_', ' ')} regions",
        f"{_EAFRD_REG} Art. 59(3){_point}",
        (
            Derogation(Decimal("0.75"), _FORMER_CONVERGENCE, f"{_EAFRD_REG} Art. 59(3)(b)"),
            Derogation(ONE, "the measures listed in Art. 59(4)", f"{_EAFRD_REG} Art. 59(4)"),
        ),
    )
CEILINGS[(EsifFund.EMFF, None)] = Ceiling(
    Decimal("0.75"),
    "the EMFF",
    "Reg. (EU) No 508/2014 Art. 94(2)",
    (Derogation(ONE, "the operations listed in Art. 94(3)", "Reg. (EU) No 508/2014 Art. 94(3)"),),
)


def ceiling_for(fund: EsifFund, category: RegionCategory | None) -> Ceiling | None:
    """The ceiling for ``fund`` in ``category``; None when none is known (e.g. the ERDF
    with no category of region given)."""
    return CEILINGS.get((fund, category)) or CEILINGS.get((fund, None))


@dataclass(frozen=True)
class CeilingFlag:
    """A rate above the ceiling: flagged with the exceptions that would allow it."""

    rate: Decimal
    ceiling: Ceiling
    allowed_by: tuple[Derogation, ...]  # empty: no exception allows it either
    message: str


def ceiling_amount(total: Decimal, ceiling: Decimal) -> Decimal:
    """The largest EU amount ``ceiling`` allows of ``total``: total x ceiling rounded up to a
    whole cent."""
    return (total * ceiling).quantize(CENT, rounding=ROUND_CEILING)


def within_rate(eu: Decimal, total: Decimal, ceiling: Decimal) -> bool:
    """``eu`` is at most ``ceiling`` of ``total``, to the cent."""
    return eu <= ceiling_amount(total, ceiling)


def check_rate_ceiling(
    eu: Decimal, total: Decimal, fund: EsifFund, category: RegionCategory | None
) -> CeilingFlag | None:
    """A flag when the EU share of ``total`` exceeds the ceiling for ``fund`` in
    ``category`` (in cents, :func:`within_rate`), else None (also with a zero total)."""
    ceiling = ceiling_for(fund, category)
    rate = co_financing_rate(eu, total)
    if ceiling is None or rate is None or within_rate(eu, total, ceiling.rate):
        return None
    allowed_by = tuple(e for e in ceiling.derogations if within_rate(eu, total, e.up_to))
    # The amounts say by how much, where a rate rounded for reading may equal the ceiling.
    message = (
        f"the co-financing rate {format_rate(rate)} is above the "
        f"{format_rate(ceiling.rate)} ceiling for {ceiling.applies_to} ({ceiling.source}), "
        f"which allows EU {ceiling_amount(total, ceiling.rate):f} of the total {total:f}, "
        f"not {eu:f}"
    )
    if allowed_by:
        cases = "; ".join(
            f"up to {format_rate(e.up_to)} for {e.case} ({e.source})" for e in allowed_by
        )
        message += f": allowed only as an exception: {cases}"
    else:
        message += ": no exception of the regulation allows it"
    return CeilingFlag(rate, ceiling, allowed_by, message)
