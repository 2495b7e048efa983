"""The CCI code of an ESIF 2014-2020 programme, checked by pattern and by meaning (pure).

The structure is the Commission's own, as SFC2014 defines it ("CCI - What does the CCI
code stand for?", SFC2014 support portal, https://sfc.ec.europa.eu/en/2014/support-msec/
cci/faq/cci-what-does-cci-code-stand): ``YEAR CC DG FF TP SEQ``, 15 characters, e.g.
``2014BE16RFOP001``::

    2014  IT  16  RF  OP  007
    |     |   |   |   |   SEQ: sequence making the code unique, 001-999
    |     |   |   |   TP: type of object (below)
    |     |   |   FF: the fund(s) the programme covers (below)
    |     |   DG: the leading Directorate-General: 05 EMPL (ESF, YEI), 06 AGRI (EAFRD),
    |     |       14 MARE (EMFF), 16 REGIO (ERDF, CF, multi-fund, Interreg); 65 HOME
    |     |       (AMIF, ISF) is not ESIF and is refused
    |     CC: ISO 3166 alpha-2 country ("UK is used instead of GB"; Greece is GR), or TC
    |         for territorial cooperation (Interreg); EU and EC, the other two the
    |         definition allows, are not programmes of the ESIF planned finances
    YEAR: the start year of the object, "in almost all cases 2014": the SME Initiative
          programmes of some Member States were registered in 2015 and 2016, so any
          year of the 2014-2020 period is read

Fund codes: ``RF`` ERDF, ``SF`` ESF, ``CF`` Cohesion Fund, ``RD`` EAFRD, ``MF`` EMFF, and
for a multi-fund programme (ERDF, ESF, CF and YEI in some combination) ``MA`` (e.g. the
Lithuanian, Latvian and Slovenian programmes, 2014LT16MAOP001) or ``M`` + a digit (e.g.
``M2`` in 2014PL16M2OP003, ``M9`` ESF + YEI in 2014IT05M9OP001). Types: ``OP``
operational programme, ``SM`` SME Initiative programme, ``TA`` technical-assistance
programme, Interreg ``CB``/``TN``/``IR`` cross-border / transnational / interregional and
``PC`` PEACE, and for rural development ``RP`` regional and ``NP`` national programme,
``RN`` national rural network, ``NF`` national framework.

What is checked beyond the pattern: the year is within 2014-2020; the country is a
2014-2020 Member State or TC; the DG, fund code and type belong together (06 only with RD
and a rural type, 14 only with MF, 05 only with SF or a multi-fund code, 16 with RF, CF or
a multi-fund code); TC only with the Interreg types and they only with TC; the sequence is
not 000. Codes of other instruments (IPA ``I5``..., ENI, FEAD, AMIF) are not ESIF
programmes and are refused.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from synergia_shared.reference.countries import (
    CountryStanding,
    UnknownCountry,
    lookup_country,
)

from synergia_funding.reference.rules import EsifFund

PERIOD = range(2014, 2021)  # start years of 2014-2020 objects
TERRITORIAL_COOPERATION = "TC"

_PATTERN = re.compile(
    r"(?P<year>[0-9]{4})(?P<country>[A-Z]{2})(?P<service>[0-9]{2})"
    r"(?P<fund>[A-Z][A-Z0-9])(?P<type>[A-Z]{2})(?P<sequence>[0-9]{3})"
)

SERVICES = {
    "05": "DG EMPL (ESF, YEI)",
    "06": "DG AGRI (EAFRD)",
    "14": "DG MARE (EMFF)",
    "16": "DG REGIO (ERDF, CF, Interreg)",
}
_MULTI_FUND_CODE = re.compile(r"M[0-9A]")
_MULTI_FUND = frozenset({EsifFund.ERDF, EsifFund.ESF, EsifFund.CF, EsifFund.YEI})
MULTI_FUND_CODES = "MA or M0-M9"
FUND_CODES: dict[str, frozenset[EsifFund]] = {
    "RF": frozenset({EsifFund.ERDF}),
    "SF": frozenset({EsifFund.ESF, EsifFund.YEI}),
    "CF": frozenset({EsifFund.CF}),
    "RD": frozenset({EsifFund.EAFRD}),
    "MF": frozenset({EsifFund.EMFF}),
}
PROGRAMME_TYPES = {
    "OP": "operational programme",
    "SM": "SME Initiative programme",
    "TA": "technical-assistance programme",
    "CB": "Interreg cross-border cooperation programme",
    "TN": "Interreg transnational cooperation programme",
    "IR": "Interreg interregional cooperation programme",
    "PC": "PEACE programme",
    "RP": "regional rural development programme",
    "NP": "national rural development programme",
    "RN": "national rural network programme",
    "NF": "national framework for rural development",
}
_INTERREG = frozenset({"CB", "TN", "IR", "PC"})
_RURAL = frozenset({"RP", "NP", "RN", "NF"})
# Which fund codes and programme types each Commission service issues.
_SERVICE_FUNDS = {"05": ("SF", "M"), "06": ("RD",), "14": ("MF",), "16": ("RF", "CF", "M")}
_SERVICE_TYPES = {
    "05": frozenset({"OP", "TA"}),
    "06": _RURAL,
    "14": frozenset({"OP"}),
    "16": frozenset({"OP", "SM", "TA"}) | _INTERREG,
}


class InvalidCci(ValueError):
    pass


@dataclass(frozen=True)
class Cci:
    code: str  # as written (GR stays GR: it is an identifier)
    country: str  # EU form (EL, UK), or TC
    service: str
    fund_code: str
    programme_type: str
    sequence: int

    @property
    def funds(self) -> frozenset[EsifFund]:
        """The funds a programme with this code may draw on."""
        return FUND_CODES.get(self.fund_code, _MULTI_FUND)

    @property
    def is_territorial_cooperation(self) -> bool:
        return self.country == TERRITORIAL_COOPERATION


def parse_cci(value: str) -> Cci:
    """The parts of a 2014-2020 ESIF programme CCI; raises :class:`InvalidCci` saying
    which part is wrong."""
    parsed = _parse_cached(value.strip().upper())
    if isinstance(parsed, str):
        raise InvalidCci(parsed)
    return parsed


# A file names each programme on a dozen rows or more, and there are a few hundred.
@functools.lru_cache(maxsize=4096)
def _parse_cached(code: str) -> Cci | str:
    try:
        return _parse(code)
    except InvalidCci as exc:
        return str(exc)


def _parse(code: str) -> Cci:
    match = _PATTERN.fullmatch(code)
    if match is None:
        raise InvalidCci(
            f"{code!r} is not a CCI code: expected 15 characters such as 2014IT16RFOP007 "
            "(year, country, service, fund, programme type, sequence)"
        )
    year, country, service = match["year"], match["country"], match["service"]
    fund, kind, sequence = match["fund"], match["type"], int(match["sequence"])
    if int(year) not in PERIOD:
        raise InvalidCci(f"CCI {code}: year {year} is not within the 2014-2020 period")
    country = _country(code, country)
    if service == "65":
        raise InvalidCci(
            f"CCI {code}: service 65 (DG HOME: AMIF, ISF) does not run ESIF programmes"
        )
    if service not in SERVICES:
        raise InvalidCci(
            f"CCI {code}: service {service} is not one of "
            + ", ".join(f"{k} {v}" for k, v in SERVICES.items())
        )
    family = "M" if _MULTI_FUND_CODE.fullmatch(fund) else fund
    if family not in FUND_CODES and family != "M":
        raise InvalidCci(
            f"CCI {code}: fund code {fund} is not an ESIF fund code "
            f"(RF, SF, CF, RD, MF, or {MULTI_FUND_CODES} for a multi-fund programme)"
        )
    if kind not in PROGRAMME_TYPES:
        raise InvalidCci(
            f"CCI {code}: programme type {kind} is not one of {', '.join(PROGRAMME_TYPES)}"
        )
    if family not in _SERVICE_FUNDS[service]:
        raise InvalidCci(
            f"CCI {code}: fund code {fund} is not issued by service {service} ({SERVICES[service]})"
        )
    if kind not in _SERVICE_TYPES[service]:
        raise InvalidCci(
            f"CCI {code}: a {PROGRAMME_TYPES[kind]} ({kind}) is not a programme type of "
            f"service {service} ({SERVICES[service]})"
        )
    if (country == TERRITORIAL_COOPERATION) != (kind in _INTERREG):
        raise InvalidCci(
            f"CCI {code}: Interreg programme types (CB, TN, IR, PC) go with the country code TC "
            f"and TC only with them; here {country} with {kind}"
        )
    if sequence == 0:
        raise InvalidCci(f"CCI {code}: the sequence number is 000")
    return Cci(code, country, service, fund, kind, sequence)


def _country(code: str, country: str) -> str:
    if country == TERRITORIAL_COOPERATION:
        return country
    try:
        found = lookup_country(country)
    except UnknownCountry:
        raise InvalidCci(f"CCI {code}: {country} is not a country code") from None
    if found.standing not in (CountryStanding.MEMBER_STATE, CountryStanding.UNITED_KINGDOM):
        raise InvalidCci(
            f"CCI {code}: {country} ({found.name}) was not a Member State in 2014-2020"
        )
    return found.code


def fund_fits_cci(cci: Cci, fund: EsifFund) -> str | None:
    """Why ``fund`` cannot finance the programme ``cci``, or None when it can."""
    if fund in cci.funds:
        return None
    allowed = ", ".join(sorted(cci.funds))
    return f"fund {fund} does not fit CCI {cci.code} (fund code {cci.fund_code}: {allowed})"
