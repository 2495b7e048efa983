"""The CORDIS import's pure parts: the streaming CSV parser and the mapping onto actors."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from synergia_registry.actors.schemas import ActorCreate
from synergia_registry.imports.mapping import (
    COLUMNS,
    ActivityType,
    Columns,
    ImportedOrganisation,
    InvalidValue,
    Issue,
    OrganisationDraft,
    OrganisationRow,
    changed_fields,
    checked_nuts,
    checked_short_name,
    checked_vat,
    checked_website,
    finish,
    kind_for,
    kind_warning,
    normalise_website,
    parse_amount,
    parse_date,
    parse_flag,
    read_row,
    unreadable,
)
from synergia_registry.imports.parser import CsvFormatError, Record, read_records
from synergia_registry.imports.service import Tally, registration_command
from synergia_registry.imports.uploads import multipart_field
from synergia_shared.events.registry import ActorKind
from synergia_shared.http.problems import ProblemException

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "cordis" / "organization_sample.csv"
KNOWN = ("projectID", "organisationID", "name", "country")


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def records(data: bytes, size: int = 4096, **kwargs: Any) -> list[Record]:
    return [r async for r in read_records(chunked(data, size), KNOWN, **kwargs)]


# --- parser ----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
async def test_the_delimiter_is_found_from_the_header(delimiter: str) -> None:
    header = delimiter.join(["projectID", "organisationID", "name", "country"])
    row = delimiter.join(["1", "999912340", '"A; B, C"', "EL"])
    result = await records(f"{header}\n{row}\n".encode())
    assert [r.values for r in result] == [
        ["projectID", "organisationID", "name", "country"],
        ["1", "999912340", "A; B, C", "EL"],
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 100_000])
async def test_quoted_fields_bom_and_multibyte_characters_survive_any_chunking(size: int) -> None:
    text = (
        "projectID;organisationID;name;country\r\n"
        '1;999912340;"Kifisias 12; Building ""B""";EL\r\n'
        "\r\n"
        '2;999912341;"Rua Augusta 100\n2.º andar";PT\r\n'
        "3;999912342;München Straße;DE"  # no final newline
    )
    result = await records(b"\xef\xbb\xbf" + text.encode(), size)
    assert [(r.line, r.values) for r in result] == [
        (1, ["projectID", "organisationID", "name", "country"]),
        (2, ["1", "999912340", 'Kifisias 12; Building "B"', "EL"]),
        (4, ["2", "999912341", "Rua Augusta 100\n2.º andar", "PT"]),
        (6, ["3", "999912342", "München Straße", "DE"]),
    ], "the BOM is dropped, blank lines skipped, a record's line is where it starts"


async def test_malformed_quoting_is_one_bad_record_and_reading_goes_on() -> None:
    text = 'projectID;organisationID\n1;"bad"quote\n2;999912341\n3;"never closed\n'
    result = await records(text.encode())
    assert [(r.line, r.values, r.error is not None) for r in result] == [
        (1, ["projectID", "organisationID"], False),
        (2, [], True),
        (3, ["2", "999912341"], False),
        (4, [], True),
    ]
    assert result[1].error is not None
    assert result[1].error.startswith("malformed CSV")


async def test_a_quote_opening_inside_a_record_never_swallows_the_next_one() -> None:
    """Records are read a chunk at a time; a quote that csv would carry into the next
    line (balanced on its own line, opening a field after an unquoted one) stays that
    record's problem, as when each record was read alone."""
    text = 'projectID;organisationID\n1;x"y;"z\n2;999912341\n'
    whole, byte_by_byte = await records(text.encode()), await records(text.encode(), size=1)
    assert whole == byte_by_byte
    assert [(r.line, r.values, r.error) for r in whole] == [
        (1, ["projectID", "organisationID"], None),
        (2, [], "malformed CSV: unexpected end of data"),
        (3, ["2", "999912341"], None),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"projectID;name\n1;\xff\xfe\n", "not UTF-8 text (invalid byte at offset 17)"),
        (b"just some text\nand more\n", "not a header"),
    ],
)
async def test_what_is_not_a_csv_file_at_all_is_an_error(data: bytes, message: str) -> None:
    with pytest.raises(CsvFormatError, match=re.escape(message)):
        await records(data, 5)


async def test_a_quoted_field_that_never_closes_stops_the_read_early() -> None:
    data = b'projectID;name\n1;"' + b"x\n" * 5000
    with pytest.raises(CsvFormatError, match="opened on line 2 is not closed"):
        await records(data, 100, max_record_chars=1000)


async def test_an_endless_line_stops_the_read_early() -> None:
    with pytest.raises(CsvFormatError, match="longer than"):
        await records(b"projectID;name\n" + b"x" * 5000, 100, max_record_chars=1000)


cell = st.text(alphabet=st.sampled_from([*list('ab;,"\n\r é€'), "\xa0"]), max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(cell, min_size=4, max_size=4), max_size=12),
    size=st.integers(min_value=1, max_value=40),
    bom=st.booleans(),
)
async def test_whatever_csv_writes_is_read_back_the_same(
    rows: list[list[str]], size: int, bom: bool
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["projectID", "organisationID", "name", "country"])
    writer.writerows(rows)
    data = ("\ufeff" if bom else "") + buffer.getvalue()
    result = await records(data.encode(), size)
    expected = [r for r in rows if any(v.strip() for v in r)]
    assert [r.values for r in result[1:]] == expected
    assert all(r.error is None for r in result)


# --- mapping: one row ------------------------------------------------------------------


def row_dict(**values: str) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        projectID="691234",
        organisationID="999912340",
        name="Olympic Agri-Food Cluster",
        SME="",
        activityType="OTH",
        country="EL",
        contentUpdateDate="2021-06-01 10:00:00",
    )
    base.update(values)
    return base


def as_record(values: dict[str, str], line: int = 2) -> Record:
    return Record(line, [values[name] for name in COLUMNS])


COLS = Columns.from_header(list(COLUMNS))


@pytest.mark.parametrize(
    ("activity", "sme", "kind"),
    [
        (ActivityType.PRC, True, ActorKind.SME),
        (ActivityType.PRC, False, ActorKind.LARGE_ENTERPRISE),
        (ActivityType.PRC, None, ActorKind.OTHER),
        (ActivityType.HES, None, ActorKind.UNIVERSITY),
        (ActivityType.REC, True, ActorKind.RESEARCH_ORGANISATION),
        (ActivityType.PUB, False, ActorKind.PUBLIC_AUTHORITY),
        (ActivityType.OTH, None, ActorKind.OTHER),
        (None, True, ActorKind.OTHER),
    ],
)
def test_kind_follows_the_activity_type_and_for_prc_the_sme_flag(
    activity: ActivityType | None, sme: bool | None, kind: ActorKind
) -> None:
    assert kind_for(activity, sme) is kind


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("512500,00", Decimal("512500.00")),
        ("512500.5", Decimal("512500.5")),
        (" 1 234,5 ", Decimal("1234.5")),
        ("0", Decimal(0)),
        ("1.5E+06", Decimal("1500000")),
        ("", None),
    ],
)
def test_amounts_take_a_decimal_comma_or_point(raw: str, value: Decimal | None) -> None:
    assert parse_amount(raw) == value


@pytest.mark.parametrize("raw", ["12,5,0", "1.234,56", "abc", "-5", "5 EUR", ","])
def test_anything_else_is_not_an_amount(raw: str) -> None:
    with pytest.raises(InvalidValue, match="not an amount"):
        parse_amount(raw)


def test_flags_and_dates() -> None:
    assert [parse_flag(v) for v in ("true", "FALSE", "", "Y", "0")] == [
        True,
        False,
        None,
        True,
        False,
    ]
    with pytest.raises(InvalidValue):
        parse_flag("maybe")
    assert parse_date("2022-08-18 12:34:56") == datetime(2022, 8, 18, 12, 34, 56, tzinfo=UTC)
    assert parse_date("2022-08-18") == datetime(2022, 8, 18, tzinfo=UTC)
    assert parse_date("") is None
    with pytest.raises(InvalidValue):
        parse_date("18/08/2022")


@pytest.mark.parametrize(
    ("given_code", "stored"), [("EL", "EL"), ("GR", "EL"), ("UK", "UK"), ("GB", "UK")]
)
def test_greece_and_the_united_kingdom_are_stored_in_the_eu_form(
    given_code: str, stored: str
) -> None:
    row = read_row(as_record(row_dict(country=given_code)), COLS)
    assert isinstance(row, OrganisationRow)
    assert row.country == stored


def test_a_row_is_rejected_with_every_reason_at_once() -> None:
    issue = read_row(
        as_record(
            row_dict(
                organisationID="12345",
                country="XX",
                SME="perhaps",
                activityType="ABC",
                ecContribution="12,5,0",
                totalCost="n/a",
            ),
            line=7,
        ),
        COLS,
    )
    assert isinstance(issue, Issue)
    assert issue.line == 7
    assert issue.organisation_id == "12345"
    for needle in (
        "organisationID",
        "country",
        "SME",
        "activityType",
        "ecContribution",
        "totalCost",
    ):
        assert needle in issue.message


def test_empty_nuts_sme_and_amounts_are_accepted() -> None:
    row = read_row(as_record(row_dict(nutsCode="", SME="", ecContribution="", totalCost="")), COLS)
    assert isinstance(row, OrganisationRow)
    assert (row.nuts_code, row.sme) == (None, None)


def test_a_row_with_the_wrong_number_of_fields_is_rejected() -> None:
    issue = read_row(Record(3, ["1", "999912340"]), COLS)
    assert isinstance(issue, Issue)
    assert f"expected {len(COLUMNS)} fields" in issue.message


def test_a_record_is_unreadable_for_the_parser_its_width_or_unstorable_text() -> None:
    assert unreadable(as_record(row_dict()), COLS) is None
    broken = unreadable(Record(4, [], "unterminated quote"), COLS)
    assert broken == Issue(4, None, "unterminated quote")
    narrow = unreadable(Record(5, ["1", "999912340"]), COLS)
    assert narrow is not None
    assert narrow.message == f"expected {len(COLUMNS)} fields as in the header, found 2"
    nul = unreadable(as_record(row_dict(name="A\x00B"), 6), COLS)
    assert nul is not None
    assert (nul.line, nul.organisation_id) == (6, row_dict()["organisationID"])
    assert nul.message.startswith("name: ")


def test_the_header_must_name_the_identity_columns() -> None:
    with pytest.raises(CsvFormatError, match="organisationID"):
        Columns.from_header(["projectID", "name", "country"])
    columns = Columns.from_header(["COUNTRY", "name", "organisationid", "sme", "ActivityType"])
    assert columns.get(["EL", "x", "999912340", "", "OTH"], "country") == "EL"


# --- mapping: merging the rows of one organisation ---------------------------------------


def organisation(*rows: dict[str, str]) -> ImportedOrganisation:
    draft = OrganisationDraft("999912340")
    for line, values in enumerate(rows, start=2):
        row = read_row(as_record(values, line), COLS)
        assert isinstance(row, OrganisationRow), row
        draft.add(row)
    return finish(draft)


def test_the_latest_content_update_wins_and_an_empty_value_never_does() -> None:
    org = organisation(
        row_dict(name="NEW NAME", contentUpdateDate="2022-01-01", activityType=""),
        row_dict(name="Old", contentUpdateDate="2019-01-01", shortName="OLD", SME="true"),
        row_dict(name="Middle Name", contentUpdateDate="2020-01-01", activityType="PRC"),
    )
    assert org.legal_name == "NEW NAME"
    assert org.short_name == "OLD", "the newer rows had none"
    assert org.kind is ActorKind.SME, "PRC from one row, SME true from another"
    assert org.lines == (2, 3, 4)
    assert org.warnings == ()


def test_on_equal_dates_the_later_line_wins() -> None:
    org = organisation(row_dict(name="First"), row_dict(name="Second"))
    assert org.legal_name == "Second"


_DATES = ["", "2019-01-01", "2020-06-30 10:00:00", "2021-01-01"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_DATES),
            st.sampled_from(["", "A", "B"]),
            st.sampled_from(["", "true", "false"]),
            st.sampled_from(["", "www.a.example", "www.b.example"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_merge_is_the_field_by_field_rule_in_any_order_of_rows(
    rows: list[tuple[str, str, str, str]],
) -> None:
    """The draft's shortcut (a row at or above every key seen wins all it states) gives
    what comparing each field with the row that holds it gives."""
    draft = OrganisationDraft("999912340")
    expected: dict[str, tuple[tuple[datetime, int], Any, int]] = {}
    for line, (date, short, sme, url) in enumerate(rows, start=2):
        values = row_dict(contentUpdateDate=date, shortName=short, SME=sme, organizationURL=url)
        row = read_row(as_record(values, line), COLS)
        assert isinstance(row, OrganisationRow), row
        draft.add(row)
        key = (row.updated or datetime.min.replace(tzinfo=UTC), line)
        for name in ("name", "short_name", "sme", "website", "country"):
            value = getattr(row, name)
            if value is not None and (name not in expected or key >= expected[name][0]):
                expected[name] = (key, value, line)
    assert {name: draft.latest[name] for name in expected} == expected
    assert set(draft.latest) - set(expected) <= {"activity", "nuts_code", "vat_number"}


def test_prc_without_any_sme_flag_is_other_with_a_warning() -> None:
    org = organisation(row_dict(activityType="PRC"), row_dict(activityType="PRC"))
    assert org.kind is ActorKind.OTHER
    [warning] = org.warnings
    assert (warning.field, warning.line) == ("SME", 3)


def test_nuts_is_checked_against_nuts_2021_and_the_country() -> None:
    assert (organisation(row_dict(nutsCode="el303")).nuts_code, "2021") == ("EL303", "2021")
    uk = organisation(row_dict(country="UK", nutsCode="UKI32"))
    assert (uk.nuts_code, uk.nuts_version) == ("UKI32", "2016")
    for code, needle in (("NL329", "not EL"), ("EL99", "does not exist"), ("??", "not a NUTS")):
        dropped = organisation(row_dict(nutsCode=code))
        assert dropped.nuts_code is None
        [warning] = dropped.warnings
        assert warning.field == "nutsCode"
        assert needle in warning.message


def test_an_invalid_vat_number_or_website_is_dropped_with_a_warning() -> None:
    org = organisation(row_dict(vatNumber="EL094259217", organizationURL="not a url"))
    assert (org.vat_number, org.website) == (None, None)
    assert {w.field for w in org.warnings} == {"vatNumber", "organizationURL"}
    ok = organisation(row_dict(vatNumber="GR 094 259 216", organizationURL="www.oafc.gr"))
    assert (ok.vat_number, ok.website) == ("EL094259216", "http://www.oafc.gr")


def test_the_kind_warning_says_when_the_data_left_the_kind_at_other() -> None:
    assert kind_warning(ActivityType.PRC, True) is None
    assert kind_warning(ActivityType.HES, None) is None
    prc = kind_warning(ActivityType.PRC, None)
    assert prc is not None
    assert prc[0] == "SME"
    assert "registered as 'other'" in prc[1]
    assert kind_warning(None, True) == (
        "activityType",
        "activityType empty in every row: registered as 'other'",
    )


def test_each_merged_field_check_keeps_a_good_value_and_drops_a_bad_one() -> None:
    assert checked_short_name("OAFC") == ("OAFC", None)
    assert checked_short_name(None) == (None, None)
    assert checked_short_name("x" * 301) == (None, "shortName dropped: longer than 300 characters")
    assert checked_nuts("el303", "EL") == (("EL303", "2021"), None)
    assert checked_nuts(None, "EL") == (None, None)
    nuts, why = checked_nuts("NL329", "EL")
    assert nuts is None
    assert why is not None
    assert why.startswith("nutsCode 'NL329' dropped: ")
    assert checked_vat("GR 094 259 216", "EL") == ("EL094259216", None)
    vat, why = checked_vat("EL094259217", "EL")
    assert vat is None
    assert why is not None
    assert why.startswith("vatNumber 'EL094259217' dropped: ")
    assert checked_website("www.oafc.gr") == ("http://www.oafc.gr", None)
    assert checked_website("not a url") == (
        None,
        "organizationURL 'not a url' dropped: not a web address",
    )


def test_websites() -> None:
    assert normalise_website("https://x.example.eu/a?b=1") == "https://x.example.eu/a?b=1"
    assert normalise_website("www.x.example.eu/path") == "http://www.x.example.eu/path"
    assert normalise_website("mailto:info@x.eu") is None


# --- mapping: what changes on an actor the registry already holds ------------------------


def stored(org: ImportedOrganisation, **overrides: Any) -> dict[str, Any]:
    return {
        "legal_name": org.legal_name,
        "short_name": org.short_name,
        "kind": org.kind.value,
        "country": org.country,
        "pic": org.organisation_id,
        "vat_number": org.vat_number,
        "website": org.website,
        "nuts_code": org.nuts_code,
        "nuts_version": org.nuts_version,
        **overrides,
    }


SME_ORG = organisation(
    row_dict(
        activityType="PRC",
        SME="true",
        nutsCode="EL303",
        vatNumber="EL094259216",
        organizationURL="https://oafc.example.gr",
        shortName="OAFC",
    )
)


def test_an_actor_holding_what_the_file_says_is_unchanged() -> None:
    assert changed_fields(stored(SME_ORG), SME_ORG) == {}
    assert changed_fields(stored(SME_ORG, nuts_version="2024"), SME_ORG) == {}, (
        "the same code under another NUTS version is not a change"
    )


def test_only_the_differing_imported_fields_change() -> None:
    current = stored(SME_ORG, legal_name="Old", nuts_code="EL30", kind="large_enterprise")
    assert changed_fields(current, SME_ORG) == {
        "legal_name": SME_ORG.legal_name,
        "nuts_code": "EL303",
        "nuts_version": "2021",
        "kind": ActorKind.SME,
    }


def test_a_missing_value_never_erases_one_the_registry_holds() -> None:
    bare = organisation(row_dict(activityType="PRC", SME="true"))
    current = stored(
        bare,
        vat_number="EL094259216",
        website="https://x.example.gr",
        nuts_code="EL30",
        short_name="X",
    )
    assert changed_fields(current, bare) == {}


@pytest.mark.parametrize("kind", ["cluster_organisation", "sme_intermediary", "investor"])
def test_a_finer_kind_is_kept(kind: str) -> None:
    assert changed_fields(stored(SME_ORG, kind=kind), SME_ORG) == {}


def test_other_never_replaces_a_kind() -> None:
    other = organisation(row_dict(activityType="PRC"))
    assert changed_fields(stored(other, kind="sme"), other) == {}


async def test_the_sample_file_parses_into_its_thirty_rows() -> None:
    result = await records(SAMPLE.read_bytes(), 333)
    columns = Columns.from_header(result[0].values)
    rows = [read_row(r, columns) for r in result[1:]]
    assert len(rows) == 30
    rejected = [r for r in rows if isinstance(r, Issue)]
    assert [(r.line, r.organisation_id) for r in rejected] == [(26, "999912354")]
    assert len({r.organisation_id for r in rows if isinstance(r, OrganisationRow)}) == 14


# --- uploads: the file part of a multipart body, as it streams ---------------------------


@pytest.mark.parametrize("size", [1, 5, 64, 100_000])
async def test_the_file_field_of_a_form_streams_out_of_a_multipart_body(size: int) -> None:
    content = SAMPLE.read_bytes()
    boundary = b"----synergia-boundary-7MA4YWxkTrZu0gW"
    body = b"".join(
        [
            b"--" + boundary + b"\r\n",
            b'Content-Disposition: form-data; name="note"\r\n\r\nmonthly refresh\r\n',
            b"--" + boundary + b"\r\n",
            b'Content-Disposition: form-data; name="file"; filename="organization.csv"\r\n',
            b"Content-Type: text/csv\r\n\r\n",
            content,
            b"\r\n--" + boundary + b"--\r\n",
        ]
    )
    parts = [part async for part in multipart_field(chunked(body, size), boundary, "file")]
    assert b"".join(parts) == content
    if size < len(content):
        assert len(parts) > 1, "the file comes out while the body streams in"


async def test_a_form_without_the_field_is_refused() -> None:
    boundary = b"xyz"
    body = b'--xyz\r\nContent-Disposition: form-data; name="other"\r\n\r\nabc\r\n--xyz--\r\n'
    with pytest.raises(ProblemException) as raised:
        _ = [part async for part in multipart_field(chunked(body, 3), boundary, "file")]
    assert raised.value.status == 422


def test_the_report_lists_up_to_its_limit_and_counts_everything() -> None:
    tally = Tally(limit=2)
    for line in range(2, 7):
        tally.rows_read += 1
        tally.reject(Issue(line, "999912340", "bad"))
        tally.warn(Issue(line, "999912340", "dropped", "nutsCode"))
    report = tally.report(organisations=0)
    assert (report.rows_rejected, report.rejections_total, report.warnings_total) == (5, 5, 5)
    assert [r.line for r in report.rejections] == [2, 3]
    assert [w.line for w in report.warnings] == [2, 3]
    assert report.listing_limit == 2


_WEB = st.sampled_from(["www.a.example", "http://a.example/x", "HTTP://A.EXAMPLE", "Https://a"])


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(min_size=1, max_size=310),
    short=st.text(max_size=310),
    web=st.one_of(_WEB, st.text(max_size=20).map(lambda t: "https://" + t)),
    activity=st.sampled_from(["", "PRC", "HES", "OTH"]),
    sme=st.sampled_from(["", "true", "false"]),
)
def test_an_organisation_registered_without_its_model_is_one_the_model_accepts_as_it_is(
    name: str, short: str, web: str, activity: str, sme: str
) -> None:
    """Where the import skips ``ActorCreate`` (every website but one with an upper-case
    scheme), the model would accept the organisation's values and keep them unchanged."""
    values = row_dict(name=name, shortName=short, organizationURL=web, SME=sme)
    values["activityType"] = activity
    row = read_row(as_record(values), COLS)
    if not isinstance(row, OrganisationRow):
        return
    draft = OrganisationDraft(row.organisation_id)
    draft.add(row)
    org = finish(draft)
    try:
        command = registration_command(org)
    except ValidationError:
        assert org.website is not None
        assert not org.website.startswith(("http://", "https://"))
        return
    if isinstance(command, ActorCreate):
        return
    model = ActorCreate(**command._asdict())
    assert {name: getattr(model, name) for name in command._fields} == command._asdict()
