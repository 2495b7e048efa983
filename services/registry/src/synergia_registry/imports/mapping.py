"""CORDIS Horizon 2020 ``organization.csv`` onto the registry's actors (pure: no I/O).

One row is one organisation's participation in one project; one actor is made from all
the rows of an organisation. The decisions, in one place:

- **Identity.** ``organisationID`` is the organisation's PIC (9 digits): it becomes both
  ``cordis_organisation_id`` and ``pic``. A row without a valid one cannot be placed and
  is rejected.
- **Merging.** The rows of one organisation are merged field by field: the value of the
  row with the latest ``contentUpdateDate`` wins (the later line of the file on a tie),
  and an empty value never wins over a stated one, so the newest row's name and address
  fields are kept while an SME flag stated in an older row still counts.
- **Kind** (DOMAIN.md, "Actors"): HES → university, REC → research_organisation,
  PUB → public_authority, OTH → other; PRC (private for-profit) is decided by the SME
  flag: true → sme, false → large_enterprise. A PRC organisation whose SME flag is empty
  in every row is registered as ``other`` with a warning: assuming either sme or
  large_enterprise would be a guess, and ``other`` is what can be corrected without
  having claimed anything. ``sme_declared`` is never set: CORDIS says "SME or not", not
  micro, small or medium. An empty activityType is ``other`` with a warning too.
- **Country.** EL/GR and UK/GB are accepted and stored in the EU form (EL, UK); an
  unknown code rejects the row.
- **NUTS** is validated against NUTS 2021, the version of H2020-era data (NUTS 2016 for
  the United Kingdom, which later versions do not cover; NUTS 2024 for a country only
  it covers, Kosovo's Statistical Regions XK0, XK00). A code that does not exist or
  lies in another country is dropped with a warning: the organisation is still imported,
  without a region. Empty is accepted.
- **VAT** is validated for the country; an invalid number is dropped with a warning.
- **Website**: an http(s) address; a bare host name (``www.example.eu``) is read as
  ``http://`` + host; anything else is dropped with a warning.
- **Amounts** (ecContribution, netEcContribution, totalCost) are not stored but must be
  amounts: digits with a decimal comma or point (an exponent is allowed), or empty. A
  row whose amount does not parse is rejected with the reason, as is a row whose
  contentUpdateDate is not a date, whose SME flag is not true/false, or whose
  activityType is not one of the five codes.
- **Updating** an actor already registered compares only what the import sets, in the
  registry's normal form: legal name, short name, kind, country, PIC, VAT number,
  website and NUTS code. A value missing from the file (or dropped as invalid) never
  erases one the registry holds; ``other`` never replaces a kind; a kind CORDIS cannot
  express (cluster_organisation, sme_intermediary, investor) is never replaced.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, NamedTuple

from synergia_shared.events.registry import ActorKind
from synergia_shared.http.storable_text import UNSTORABLE_MSG, is_storable
from synergia_shared.reference.countries import UNITED_KINGDOM, UnknownCountry, lookup_country
from synergia_shared.reference.identifiers import InvalidIdentifier, validate_pic, validate_vat
from synergia_shared.reference.nuts import (
    DEFAULT_NUTS_VERSION,
    InvalidNuts,
    covers,
    validate_nuts,
)

from synergia_registry.imports.parser import CsvFormatError, Record

# The columns of organization.csv in CORDIS's Horizon 2020 exports (DOMAIN.md).
COLUMNS = (
    "projectID",
    "projectAcronym",
    "organisationID",
    "vatNumber",
    "name",
    "shortName",
    "SME",
    "activityType",
    "street",
    "postCode",
    "city",
    "country",
    "nutsCode",
    "geolocation",
    "organizationURL",
    "contactForm",
    "contentUpdateDate",
    "rcn",
    "order",
    "role",
    "ecContribution",
    "netEcContribution",
    "totalCost",
    "endOfParticipation",
    "active",
)
REQUIRED_COLUMNS = ("organisationID", "name", "SME", "activityType", "country")
AMOUNT_COLUMNS = ("ecContribution", "netEcContribution", "totalCost")

# NUTS of H2020-era data: 2021; the UK's last codes are NUTS 2016 (no later version has it).
NUTS_VERSION = "2021"
NUTS_VERSION_UK = "2016"
MAX_NAME = 300  # ProfileFields.legal_name / short_name
MAX_URL = 500  # ProfileFields.website

_AMOUNT = re.compile(r"[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_HOST = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#]\S*)?")
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_OLDEST = datetime.min.replace(tzinfo=UTC)


class ActivityType(StrEnum):
    """CORDIS's organisation types."""

    PRC = "PRC"  # private for-profit (excluding education)
    HES = "HES"  # higher or secondary education
    REC = "REC"  # research organisation
    PUB = "PUB"  # public body (excluding research and education)
    OTH = "OTH"  # other


KIND_BY_ACTIVITY = {
    ActivityType.HES: ActorKind.UNIVERSITY,
    ActivityType.REC: ActorKind.RESEARCH_ORGANISATION,
    ActivityType.PUB: ActorKind.PUBLIC_AUTHORITY,
    ActivityType.OTH: ActorKind.OTHER,
}
# Finer kinds than CORDIS has words for: an import never replaces them.
REFINED_KINDS = frozenset(
    {ActorKind.CLUSTER_ORGANISATION, ActorKind.SME_INTERMEDIARY, ActorKind.INVESTOR}
)


class InvalidValue(ValueError):
    pass


@dataclass(frozen=True)
class Issue:
    """A rejection (``field`` None) or a warning about one line of the file."""

    line: int
    organisation_id: str | None
    message: str
    field: str | None = None


@dataclass(frozen=True)
class Columns:
    """Where each known column is in this file (found by name, in any order or case)."""

    positions: dict[str, int]
    width: int

    @classmethod
    def from_header(cls, names: list[str]) -> Columns:
        canonical = {name.casefold(): name for name in COLUMNS}
        positions: dict[str, int] = {}
        for index, name in enumerate(names):
            known = canonical.get(name.strip().casefold())
            if known is not None and known not in positions:
                positions[known] = index
        missing = [name for name in REQUIRED_COLUMNS if name not in positions]
        if missing:
            raise CsvFormatError(
                f"the header lacks the column(s) {', '.join(missing)} of a CORDIS organization.csv"
            )
        return cls(positions, len(names))

    def get(self, values: list[str], name: str) -> str:
        index = self.positions.get(name)
        return values[index].strip() if index is not None and index < len(values) else ""

    @functools.cached_property
    def read(self) -> Callable[[list[str]], tuple[str, ...]]:
        """The values of :data:`_READ` in a row of this file's width, with one more
        value, empty, standing for the columns the file lacks."""
        return operator.itemgetter(*(self.positions.get(name, self.width) for name in _READ))


class OrganisationRow(NamedTuple):
    """One accepted row: the fields of the organisation it states, read but not checked
    against each other yet (that happens once per organisation, after merging). A named
    tuple: one is made per row of the file, and a frozen dataclass costs four times as
    much to make."""

    line: int
    organisation_id: str
    updated: datetime | None
    name: str
    short_name: str | None
    activity: ActivityType | None
    sme: bool | None
    country: str
    nuts_code: str | None
    vat_number: str | None
    website: str | None


def parse_amount(raw: str) -> Decimal | None:
    """An amount in EUR with a decimal comma or point; empty is None."""
    text = raw.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if not _AMOUNT.fullmatch(text):
        raise InvalidValue(f"{raw.strip()!r} is not an amount (digits with one decimal , or .)")
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        raise InvalidValue(f"{raw.strip()!r} is not an amount") from None


def parse_flag(raw: str) -> bool | None:
    text = raw.strip().casefold()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(f"{raw.strip()!r} is not true or false")


def parse_activity(raw: str) -> ActivityType | None:
    text = raw.strip().upper()
    if not text:
        return None
    try:
        return ActivityType(text)
    except ValueError:
        raise InvalidValue(
            f"{raw.strip()!r} is not one of {', '.join(a.value for a in ActivityType)}"
        ) from None


def parse_date(raw: str) -> datetime | None:
    """contentUpdateDate (``2022-08-18 12:34:56`` or ``2022-08-18``), as UTC."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a date") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def kind_for(activity: ActivityType | None, sme: bool | None) -> ActorKind:
    if activity is ActivityType.PRC:
        if sme is None:
            return ActorKind.OTHER
        return ActorKind.SME if sme else ActorKind.LARGE_ENTERPRISE
    if activity is None:
        return ActorKind.OTHER
    return KIND_BY_ACTIVITY[activity]


# The columns a row is read from, in the order their problems are reported.
_CHECKED = ("organisationID", "name", "country", "activityType", "SME", "contentUpdateDate")
_READ = (*_CHECKED, *AMOUNT_COLUMNS, "shortName", "nutsCode", "vatNumber", "organizationURL")


def unreadable(record: Record, columns: Columns) -> Issue | None:
    """The rejection of a record that cannot be read field by field: the parser's own
    error, a number of fields other than the header's, or text PostgreSQL cannot store
    (named by column); None for a readable record."""
    if record.error is not None:
        return Issue(record.line, None, record.error)
    values = record.values
    raw_id = columns.get(values, "organisationID")
    if len(values) != columns.width:
        return Issue(
            record.line,
            raw_id or None,
            f"expected {columns.width} fields as in the header, found {len(values)}",
        )
    if not is_storable("".join(values)):
        names = {position: name for name, position in columns.positions.items()}
        where = [
            names.get(position, f"column {position + 1}")
            for position, value in enumerate(values)
            if not is_storable(value)
        ]
        shown_id = raw_id if is_storable(raw_id) else None
        return Issue(record.line, shown_id or None, f"{', '.join(where)}: {UNSTORABLE_MSG}")
    return None


def read_row(record: Record, columns: Columns) -> OrganisationRow | Issue:
    """One data record as an :class:`OrganisationRow`, or the rejection saying why not."""
    if (issue := unreadable(record, columns)) is not None:
        return issue
    values = record.values
    values.append("")  # what :attr:`Columns.read` takes for a column the file lacks
    (
        raw_pic,
        raw_name,
        raw_country,
        raw_activity,
        raw_sme,
        raw_updated,
        *raw_amounts,
        short_name,
        nuts_code,
        vat_number,
        website,
    ) = [value.strip() for value in columns.read(values)]
    # The parsers below are pure and a file repeats its values (an organisation on each
    # of its projects' rows, a few countries, dates and flags): each distinct value is
    # parsed once per process. Their problems are reported in the order of _CHECKED.
    parsed = (
        _parsed_pic(raw_pic),
        _parsed_name(raw_name),
        _parsed_country(raw_country),
        _parsed_activity(raw_activity),
        _parsed_flag(raw_sme),
        _parsed_date(raw_updated),
    )
    (pic, pic_problem), (name, name_problem), (country, country_problem) = parsed[:3]
    (activity, activity_problem), (sme, sme_problem), (updated, updated_problem) = parsed[3:]
    if (
        pic_problem is None
        and name_problem is None
        and country_problem is None
        and activity_problem is None
        and sme_problem is None
        and updated_problem is None
        and all(not raw or _AMOUNT.fullmatch(raw) for raw in raw_amounts)
    ):
        return OrganisationRow(
            record.line,
            pic,
            updated,
            name,
            short_name or None,
            activity,
            sme,
            country,
            nuts_code or None,
            vat_number or None,
            website or None,
        )
    return _rejected(record.line, pic or raw_pic or None, parsed, raw_amounts)


_Parsed = tuple[Any, str | None]  # the value (None if it does not parse), or the problem


def _rejected(
    line: int, shown_id: str | None, parsed: Sequence[_Parsed], raw_amounts: Sequence[str]
) -> Issue:
    """A row with problems: its parsed columns' (in the order of _CHECKED), then its
    amounts'."""
    problems = [problem for _, problem in parsed if problem is not None]
    problems.extend(
        problem
        for column, raw in zip(AMOUNT_COLUMNS, raw_amounts, strict=True)
        if (problem := _amount_problem(column, raw)) is not None
    )
    return Issue(line, shown_id, "; ".join(problems))


def _parsed(column: str, parse: Any, raw: str) -> _Parsed:
    try:
        return parse(raw), None
    except (InvalidValue, InvalidIdentifier, UnknownCountry) as exc:
        return None, f"{column}: {exc}"


# Bounded: a hostile file of distinct values costs memory no more than these entries.
_CACHE = 65_536


@functools.lru_cache(maxsize=_CACHE)
def _parsed_pic(raw: str) -> _Parsed:
    return _parsed("organisationID", _required_pic, raw)


@functools.lru_cache(maxsize=_CACHE)
def _parsed_name(raw: str) -> _Parsed:
    return _parsed("name", _legal_name, raw)


@functools.lru_cache(maxsize=1024)
def _parsed_country(raw: str) -> _Parsed:
    return _parsed("country", _country, raw)


@functools.lru_cache(maxsize=1024)
def _parsed_activity(raw: str) -> _Parsed:
    return _parsed("activityType", parse_activity, raw)


@functools.lru_cache(maxsize=1024)
def _parsed_flag(raw: str) -> _Parsed:
    return _parsed("SME", parse_flag, raw)


@functools.lru_cache(maxsize=_CACHE)
def _parsed_date(raw: str) -> _Parsed:
    return _parsed("contentUpdateDate", parse_date, raw)


def _amount_problem(column: str, raw: str) -> str | None:
    """What is wrong with an amount (None: it is one, or empty); amounts are checked,
    not stored, so the common case is a pattern match and no number is made."""
    if not raw or _AMOUNT.fullmatch(raw):
        return None
    return _parsed(column, parse_amount, raw)[1]


def _required_pic(raw: str) -> str:
    if not raw:
        raise InvalidValue("empty: every row needs the organisation's PIC")
    return validate_pic(raw)


def _legal_name(raw: str) -> str:
    if not raw:
        raise InvalidValue("empty")
    if len(raw) > MAX_NAME:
        raise InvalidValue(f"longer than {MAX_NAME} characters")
    return raw


def _nuts_version(country: str) -> str:
    """The NUTS version of an H2020-era region code in ``country`` (EU form)."""
    if country == UNITED_KINGDOM:
        return NUTS_VERSION_UK
    if not covers(NUTS_VERSION, country) and covers(DEFAULT_NUTS_VERSION, country):
        return DEFAULT_NUTS_VERSION  # Kosovo: only NUTS 2024 lists its regions
    return NUTS_VERSION


def _country(raw: str) -> str:
    if not raw:
        raise InvalidValue("empty")
    return lookup_country(raw).code


# --- merging the rows of one organisation ------------------------------------------------

MERGED_FIELDS = (
    "name",
    "short_name",
    "activity",
    "sme",
    "country",
    "nuts_code",
    "vat_number",
    "website",
)


_merged = operator.attrgetter(*MERGED_FIELDS)


@dataclass
class OrganisationDraft:
    """The rows of one organisation seen so far, merged field by field."""

    organisation_id: str
    lines: list[int] = field(default_factory=list)
    # field -> ((contentUpdateDate, line), value, line) of the winning row
    latest: dict[str, tuple[tuple[datetime, int], Any, int]] = field(default_factory=dict)
    # The greatest key in ``latest``: a row at or above it wins every field it states,
    # as rows mostly come (later lines, dates not older), without comparing field by field.
    newest: tuple[datetime, int] | None = None

    def add(self, row: OrganisationRow) -> None:
        line = row.line
        self.lines.append(line)
        key = (row.updated or _OLDEST, line)
        latest = self.latest
        newest = self.newest
        if newest is None or key >= newest:
            self.newest = key
            for name, value in zip(MERGED_FIELDS, _merged(row), strict=True):
                if value is not None:
                    latest[name] = (key, value, line)
            return
        for name, value in zip(MERGED_FIELDS, _merged(row), strict=True):
            if value is None:
                continue
            held = latest.get(name)
            if held is None or key >= held[0]:
                latest[name] = (key, value, line)

    def value(self, name: str) -> Any:
        held = self.latest.get(name)
        return held[1] if held else None

    def line_of(self, name: str) -> int:
        held = self.latest.get(name)
        return held[2] if held else self.lines[0]


@dataclass(frozen=True)
class ImportedOrganisation:
    """What the import sets on the organisation's actor, in the registry's stored form."""

    organisation_id: str  # also the PIC
    lines: tuple[int, ...]
    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str
    nuts_code: str | None
    nuts_version: str | None
    vat_number: str | None
    website: str | None
    warnings: tuple[Issue, ...] = ()

    @property
    def first_line(self) -> int:
        return self.lines[0]


# Each check of a merged field gives the value kept (None: dropped or absent) and the
# warning saying why it was dropped, if it was.
_Checked = tuple[Any, str | None]


def kind_warning(activity: ActivityType | None, sme: bool | None) -> tuple[str, str] | None:
    """The column and warning when the data leaves the kind at 'other' rather than let
    the import guess it (see :func:`kind_for`); None when the data decides it."""
    if activity is ActivityType.PRC and sme is None:
        return (
            "SME",
            "private for-profit (PRC) with the SME flag empty in every row: registered as "
            "'other' (not assumed sme or large_enterprise); set the kind when known",
        )
    if activity is None:
        return "activityType", "activityType empty in every row: registered as 'other'"
    return None


def checked_short_name(raw: str | None) -> _Checked:
    """A short name longer than the registry takes is dropped."""
    if raw is not None and len(raw) > MAX_NAME:
        return None, f"shortName dropped: longer than {MAX_NAME} characters"
    return raw, None


def checked_nuts(raw: str | None, country: str) -> _Checked:
    """A NUTS code of the country in the version of H2020-era data (:func:`_nuts_version`),
    as ``(code, version)``; a code that is not one is dropped."""
    if raw is None:
        return None, None
    version = _nuts_version(country)
    try:
        return (validate_nuts(raw, country, version).code, version), None
    except InvalidNuts as exc:
        return None, f"nutsCode {raw!r} dropped: {exc}"


def checked_vat(raw: str | None, country: str) -> _Checked:
    """A VAT number valid for the country, in its normal form; another is dropped."""
    if raw is None:
        return None, None
    try:
        return validate_vat(raw, country), None
    except InvalidIdentifier as exc:
        return None, f"vatNumber {raw!r} dropped: {exc}"


def checked_website(raw: str | None) -> _Checked:
    """A web address (:func:`normalise_website`); anything else is dropped."""
    if raw is None:
        return None, None
    website = normalise_website(raw)
    if website is None:
        return None, f"organizationURL {raw!r} dropped: not a web address"
    return website, None


def finish(draft: OrganisationDraft) -> ImportedOrganisation:
    """Check the merged fields against each other (NUTS and VAT against the country)."""
    country: str = draft.value("country")
    activity: ActivityType | None = draft.value("activity")
    sme: bool | None = draft.value("sme")
    short_name, short_name_warning = checked_short_name(draft.value("short_name"))
    nuts, nuts_warning = checked_nuts(draft.value("nuts_code"), country)
    vat_number, vat_warning = checked_vat(draft.value("vat_number"), country)
    website, website_warning = checked_website(draft.value("website"))
    found: list[tuple[str, str, str | None]] = [
        ("short_name", "shortName", short_name_warning),
        ("nuts_code", "nutsCode", nuts_warning),
        ("vat_number", "vatNumber", vat_warning),
        ("website", "organizationURL", website_warning),
    ]
    if (kind_problem := kind_warning(activity, sme)) is not None:
        found.insert(0, ("activity", *kind_problem))
    nuts_code, nuts_version = nuts if nuts is not None else (None, None)
    return ImportedOrganisation(
        organisation_id=draft.organisation_id,
        lines=tuple(draft.lines),
        legal_name=draft.value("name"),
        short_name=short_name,
        kind=kind_for(activity, sme),
        country=country,
        nuts_code=nuts_code,
        nuts_version=nuts_version,
        vat_number=vat_number,
        website=website,
        warnings=tuple(
            Issue(draft.line_of(name), draft.organisation_id, message, column)
            for name, column, message in found
            if message is not None
        ),
    )


def normalise_website(raw: str) -> str | None:
    text = raw.strip()
    if not _URL.fullmatch(text) and _HOST.fullmatch(text):
        text = f"http://{text}"
    if _URL.fullmatch(text) and len(text) <= MAX_URL:
        return text
    return None


# --- comparing with the registry --------------------------------------------------------


def changed_fields(stored: Mapping[Any, Any], org: ImportedOrganisation) -> dict[str, Any]:
    """The actor fields (as an ActorPatch) the import would change; empty if none.

    ``stored`` is the actor's row. Missing or dropped values never erase what is held;
    ``other`` and kinds finer than CORDIS's are never replaced; the NUTS version only
    moves with a new NUTS code.
    """
    changes: dict[str, Any] = {}
    if stored["legal_name"] != org.legal_name:
        changes["legal_name"] = org.legal_name
    if stored["country"] != org.country:
        changes["country"] = org.country
    if stored["pic"] != org.organisation_id:
        changes["pic"] = org.organisation_id
    for name in ("short_name", "vat_number", "website"):
        value = getattr(org, name)
        if value is not None and stored[name] != value:
            changes[name] = value
    if org.nuts_code is not None and stored["nuts_code"] != org.nuts_code:
        changes["nuts_code"] = org.nuts_code
        changes["nuts_version"] = org.nuts_version
    if (
        org.kind is not ActorKind.OTHER
        and stored["kind"] not in REFINED_KINDS
        and stored["kind"] != org.kind
    ):
        changes["kind"] = org.kind
    return changes
