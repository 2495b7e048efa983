"""Identifiers of actors: the Funding & Tenders PIC, VAT numbers and national business
identifiers.

VAT numbers are checked offline with `python-stdnum` (format and check digits, never
VIES) and stored compact with the prefix the tax authority writes: EL for Greece (the EU
form), GB for the United Kingdom (as HMRC does, XI kept for Northern Ireland), the ISO
code elsewhere.

National business identifiers (a register's number of an organisation: Bulgaria's EIK,
Romania's CUI, Slovenia's matična številka…) are schemes of :data:`BUSINESS_ID_SCHEMES`,
each checked offline by its python-stdnum module and stored compact with its scheme code.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from types import ModuleType

from stdnum import exceptions
from stdnum.at import businessid as at_businessid
from stdnum.be import vat as be_vat
from stdnum.bg import vat as bg_vat
from stdnum.ch import uid as ch_uid
from stdnum.dk import cvr as dk_cvr
from stdnum.ee import registrikood as ee_registrikood
from stdnum.eu import vat as eu_vat
from stdnum.fi import ytunnus as fi_ytunnus
from stdnum.fr import siren as fr_siren
from stdnum.gb import vat as gb_vat
from stdnum.gr import vat as gr_vat
from stdnum.hr import oib as hr_oib
from stdnum.it import iva as it_iva
from stdnum.no import orgnr as no_orgnr
from stdnum.pl import regon as pl_regon
from stdnum.pt import nif as pt_nif
from stdnum.ro import cui as ro_cui
from stdnum.ro import onrc as ro_onrc
from stdnum.se import orgnr as se_orgnr
from stdnum.si import maticna as si_maticna
from stdnum.ua import edrpou as ua_edrpou
from stdnum.util import get_cc_module

from synergia_shared.reference.countries import (
    EU27,
    EU_TO_ISO,
    UNITED_KINGDOM,
    Country,
    UnknownCountry,
    lookup_country,
)

# The first prefix of each tuple is the one stored; the others are accepted on input.
_PREFIXES = {"EL": ("EL", "GR"), UNITED_KINGDOM: ("GB", "XI", "UK")}
_SEPARATORS = re.compile(r"[\s.\-/]")
_PREFIX = re.compile(r"[A-Z]{2}")
# Countries without a stdnum module only get a plausibility check.
_PLAUSIBLE = re.compile(r"[A-Z0-9]{4,20}")
_REASONS: tuple[tuple[type[exceptions.ValidationError], str], ...] = (
    (exceptions.InvalidChecksum, "its check digit is wrong"),
    (exceptions.InvalidLength, "it has the wrong length"),
    (exceptions.InvalidFormat, "it has the wrong format"),
    (exceptions.InvalidComponent, "part of it is not valid for that country"),
)


class InvalidIdentifier(ValueError):
    pass


def validate_pic(value: str) -> str:
    """The 9-digit Participant Identification Code, spaces removed."""
    pic = re.sub(r"\s+", "", value)
    if not re.fullmatch(r"[0-9]{9}", pic):
        raise InvalidIdentifier(f"a PIC is exactly 9 digits, got {value!r}")
    return pic


def validate_vat(value: str, country: str) -> str:
    """``value`` (with or without its prefix) as a compact, prefixed VAT number of ``country``.

    Raises :class:`InvalidIdentifier` when the number fails the country's checks or its
    prefix names another country.
    """
    try:
        actor = lookup_country(country)
    except UnknownCountry as exc:
        raise InvalidIdentifier(f"unknown country code {country!r}") from exc
    cc = actor.code
    number = _SEPARATORS.sub("", value.upper())
    prefixes = _PREFIXES.get(cc, (cc,))
    prefix, body, foreign = prefixes[0], number, None
    if number[:2] in prefixes:
        body = number[2:]
        prefix = "XI" if number[:2] == "XI" else prefix
    else:
        foreign = _prefix_owner(number[:2])
    try:
        if cc in EU27:
            return eu_vat.validate(prefix + body)
        if cc == UNITED_KINGDOM:
            return prefix + gb_vat.validate(body)
        return _validate_elsewhere(prefix, body, number)
    except exceptions.ValidationError as exc:
        # Only now: a national number may itself start with letters that look like a prefix.
        if foreign is not None:
            raise InvalidIdentifier(
                f"VAT number {number} is from {foreign.name} (prefix {number[:2]}), "
                f"the actor is in {cc}"
            ) from exc
        reason = next((text for kind, text in _REASONS if isinstance(exc, kind)), "it is invalid")
        raise InvalidIdentifier(
            f"VAT number {value.strip()!r} is not valid in {actor.name} ({cc}): {reason}"
        ) from exc


def _validate_elsewhere(prefix: str, body: str, number: str) -> str:
    module = get_cc_module(EU_TO_ISO.get(prefix, prefix), "vat")
    if module is None:
        if not _PLAUSIBLE.fullmatch(body):
            raise exceptions.InvalidFormat()
        return prefix + body
    try:
        compact = module.validate(body)
    except exceptions.ValidationError:
        # Some numbers carry the prefix inside them (Swiss CHE...): try the whole input.
        if number == body:
            raise
        compact = module.validate(number)
    return compact if compact.startswith(prefix) else prefix + compact


def _prefix_owner(letters: str) -> Country | None:
    """The country whose VAT prefix ``letters`` is, if any."""
    if not _PREFIX.fullmatch(letters):
        return None
    owner = next((eu for eu, accepted in _PREFIXES.items() if letters in accepted), letters)
    try:
        return lookup_country(owner)
    except UnknownCountry:
        return None


# --- national business identifiers -----------------------------------------------------


@dataclass(frozen=True)
class BusinessIdScheme:
    """A national register's identifier of organisations, checked by a python-stdnum module.

    ``vat_is_prefixed_id``: an organisation's VAT number is the country's VAT prefix
    followed by this identifier (Bulgaria's EIK, Romania's CUI, Croatia's OIB…), so the
    two name the same organisation and are matched against each other. ``lengths``: the
    compact lengths accepted when the module also takes identifiers of natural persons
    (Bulgaria's module takes 10-digit personal numbers; a register of organisations
    does not hold them).
    """

    code: str
    country: str
    name: str
    module: ModuleType
    vat_is_prefixed_id: bool = False
    lengths: frozenset[int] | None = None

    def compact(self, value: str) -> str:
        """``value`` checked and compact (separators removed), or :class:`InvalidIdentifier`."""
        try:
            compact = str(self.module.validate(value.strip()))
        except exceptions.ValidationError as exc:
            reason = next((t for kind, t in _REASONS if isinstance(exc, kind)), "it is invalid")
            raise InvalidIdentifier(
                f"{value.strip()!r} is not a valid {self.name}: {reason}"
            ) from exc
        if self.lengths is not None and len(compact) not in self.lengths:
            digits = " or ".join(str(n) for n in sorted(self.lengths))
            raise InvalidIdentifier(
                f"{value.strip()!r} is not a valid {self.name}: an organisation's has {digits} "
                "characters"
            )
        return compact


@dataclass(frozen=True)
class BusinessId:
    scheme: str
    value: str


# One table, the first scheme of a country being its default. Countries absent here have
# no scheme yet: their organisations are matched by PIC, VAT number or name.
BUSINESS_ID_SCHEMES: tuple[BusinessIdScheme, ...] = (
    BusinessIdScheme("AT-FN", "AT", "Firmenbuchnummer", at_businessid),
    BusinessIdScheme("BE-KBO", "BE", "enterprise number (KBO/BCE)", be_vat, True),
    BusinessIdScheme("BG-EIK", "BG", "EIK/BULSTAT (ЕИК)", bg_vat, True, frozenset({9})),
    BusinessIdScheme("CH-UID", "CH", "UID (Unternehmens-Identifikationsnummer)", ch_uid),
    BusinessIdScheme("DK-CVR", "DK", "CVR number", dk_cvr, True),
    BusinessIdScheme("EE-RIK", "EE", "registrikood", ee_registrikood),
    BusinessIdScheme("EL-AFM", "EL", "AFM (ΑΦΜ)", gr_vat, True),
    BusinessIdScheme("FI-YT", "FI", "Y-tunnus", fi_ytunnus, True),
    BusinessIdScheme("FR-SIREN", "FR", "SIREN", fr_siren),
    BusinessIdScheme("HR-OIB", "HR", "OIB", hr_oib, True),
    BusinessIdScheme("IT-CF", "IT", "codice fiscale of an organisation", it_iva, True),
    BusinessIdScheme("NO-ORGNR", "NO", "organisasjonsnummer", no_orgnr),
    BusinessIdScheme("PL-REGON", "PL", "REGON", pl_regon),
    BusinessIdScheme("PT-NIPC", "PT", "NIPC", pt_nif, True),
    BusinessIdScheme("RO-CUI", "RO", "CUI (cod unic de înregistrare)", ro_cui, True),
    BusinessIdScheme("RO-ONRC", "RO", "ONRC trade register number", ro_onrc),
    BusinessIdScheme("SE-ORGNR", "SE", "organisationsnummer", se_orgnr),
    BusinessIdScheme("SI-MS", "SI", "matična številka", si_maticna),
    BusinessIdScheme("UA-EDRPOU", "UA", "EDRPOU code (ЄДРПОУ)", ua_edrpou),
)
SCHEMES_BY_CODE = {scheme.code: scheme for scheme in BUSINESS_ID_SCHEMES}


def schemes_of(country: str) -> list[BusinessIdScheme]:
    """The schemes of ``country`` (any accepted code: GR and EL alike), default first."""
    try:
        code = lookup_country(country).code
    except UnknownCountry:
        return []
    return [scheme for scheme in BUSINESS_ID_SCHEMES if scheme.country == code]


def validate_business_id(value: str, country: str, scheme: str | None = None) -> BusinessId:
    """``value`` as a compact identifier of ``scheme`` (by default the country's first),
    which must be one of ``country``'s; :class:`InvalidIdentifier` says why not."""
    available = schemes_of(country)
    if scheme is None:
        if not available:
            raise InvalidIdentifier(
                f"no national business identifier scheme is known for {country}; match it "
                "by PIC or VAT number"
            )
        chosen = available[0]
    else:
        found = SCHEMES_BY_CODE.get(scheme.strip().upper())
        if found is None:
            raise InvalidIdentifier(
                f"unknown scheme {scheme!r}; the schemes are "
                + ", ".join(s.code for s in BUSINESS_ID_SCHEMES)
            )
        if found not in available:
            mine = ", ".join(s.code for s in available) or "none"
            raise InvalidIdentifier(
                f"{found.code} is a scheme of {found.country}, not {country} (whose are: {mine})"
            )
        chosen = found
    return BusinessId(chosen.code, chosen.compact(value))


@functools.cache
def _checked_as_vat(scheme: BusinessIdScheme) -> bool:
    """Whether the country's VAT numbers are checked by the scheme's own module (as
    :func:`validate_vat` does it for a Member State): then a checked identifier with the
    prefix is a valid VAT number, and a valid VAT number without it passes the scheme's
    module, so neither needs checking twice (a bulk registration derives one from the
    other for every item)."""
    iso = EU_TO_ISO.get(scheme.country, scheme.country)
    return (
        scheme.vat_is_prefixed_id
        and scheme.country in EU27
        and get_cc_module(iso.lower(), "vat") is scheme.module
    )


def vat_of(business_id: BusinessId) -> str | None:
    """The VAT number (stored form) the identifier implies, if its scheme implies one."""
    scheme = SCHEMES_BY_CODE[business_id.scheme]
    if not scheme.vat_is_prefixed_id:
        return None
    if _checked_as_vat(scheme):
        # eu_vat.validate's own last step, on the number its module already checked.
        prefix = _PREFIXES.get(scheme.country, (scheme.country,))[0]
        value = business_id.value
        return value if value.startswith(prefix) else prefix + value
    try:
        return validate_vat(business_id.value, scheme.country)
    except InvalidIdentifier:
        return None


def business_id_of_vat(vat: str, country: str) -> BusinessId | None:
    """The national identifier a VAT number (stored form) implies, if the country's
    scheme is the VAT number without its prefix."""
    for scheme in schemes_of(country):
        if scheme.vat_is_prefixed_id:
            if _checked_as_vat(scheme) and (
                scheme.lengths is None or len(vat) - 2 in scheme.lengths
            ):
                return BusinessId(scheme.code, vat[2:])
            try:
                return BusinessId(scheme.code, scheme.compact(vat[2:]))
            except InvalidIdentifier:
                return None
    return None
