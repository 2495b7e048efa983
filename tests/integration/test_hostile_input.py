"""Hostile input gets a 4xx problem, and nothing half-applied, on every service.

The walks read the services' own OpenAPI documents, so a field or route added later is
walked too: every string field of every JSON request body, every query parameter, every
JSON route for nesting.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from synergia_funding.app import create_app as create_funding
from synergia_funding.settings import FundingSettings
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings
from synergia_shared.settings import DEV_JWT_SECRET

from tests.support import beneficiaries as bsupport
from tests.support.funding import API_KEYS, LOMBARDIA, beneficiary, commitment, query
from tests.support.stack import TestStack, auth, running_app

FIXTURES = Path(__file__).parent.parent / "fixtures"
NUL = "x\u0000y"
ADMIN = auth("admin")
SECOND = object()  # a marker in a field path: "an array item"


@pytest.fixture
async def funding(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    settings = FundingSettings(  # type: ignore[arg-type]
        **stack.settings_kwargs("funding"), api_keys=json.dumps(API_KEYS)
    )
    async with running_app(create_funding(settings), "http://funding") as client:
        yield client


@pytest.fixture
async def registry(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrySettings(  # type: ignore[arg-type]
        **stack.settings_kwargs("registry"), api_keys=bsupport.API_KEYS
    )
    async with running_app(create_registry(settings), "http://registry") as client:
        yield client


# --- walking the OpenAPI documents -------------------------------------------------------


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def string_fields(
    spec: dict[str, Any],
    schema: dict[str, Any],
    path: tuple[Any, ...] = (),
    seen: frozenset[str] = frozenset(),
) -> Iterator[tuple[Any, ...]]:
    """The path of every string in documents of ``schema`` (``0`` for an array item)."""
    ref = schema.get("$ref")
    if ref in seen:
        return
    seen = seen | {ref} if ref else seen
    schema = resolve(spec, schema)
    alternatives = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if alternatives:
        for alternative in alternatives:
            yield from string_fields(spec, alternative, path, seen)
        return
    kind = schema.get("type")
    if kind == "string" or "enum" in schema:
        yield path
    elif kind == "array" and "items" in schema:
        yield from string_fields(spec, schema["items"], (*path, 0), seen)
    elif kind == "object" or "properties" in schema:
        for name, child in schema.get("properties", {}).items():
            yield from string_fields(spec, child, (*path, name), seen)


def document_at(path: tuple[Any, ...], leaf: Any) -> Any:
    value = leaf
    for step in reversed(path):
        value = [value] if step == 0 else {step: value}
    return value


def concrete(spec: dict[str, Any], template: str, operation: dict[str, Any]) -> str:
    url = template
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "path":
            continue
        schema = resolve(spec, parameter.get("schema", {}))
        value = str(uuid.uuid4()) if schema.get("format") == "uuid" else "ITC4"
        url = url.replace("{" + parameter["name"] + "}", value)
    return url


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method.upper(), template, operation


def json_body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


async def spec_of(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def loc_of(path: tuple[Any, ...]) -> list[Any]:
    return ["body", *path]


# --- NUL and lone surrogates ---------------------------------------------------------------


async def test_text_postgresql_cannot_store_is_a_422_naming_the_field_in_every_request_body(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    walked: list[str] = []
    for client in (registry, matching, funding):
        spec = await spec_of(client)
        for method, template, operation in operations(spec):
            schema = json_body_schema(operation)
            if schema is None or operation.get("x-body-limit") == "batch":
                continue  # batches refuse such an item alone: tested below
            url = concrete(spec, template, operation)
            fields = sorted(set(string_fields(spec, schema)), key=str)
            assert fields, f"{method} {template}: no string field found to walk"
            for path in fields:
                for bad in (NUL, "\ud800"):
                    body = json.dumps(document_at(path, bad))  # \u0000 and \ud800 escapes
                    response = await client.request(
                        method,
                        url,
                        content=body,
                        headers={**ADMIN, "Content-Type": "application/json"},
                    )
                    where = f"{method} {template} {path} {bad!r}"
                    assert response.status_code == 422, (where, response.text)
                    problem = response.json()
                    assert response.headers["content-type"] == "application/problem+json"
                    assert loc_of(path) in [e["loc"] for e in problem["errors"]], where
                walked.append(f"{method} {template} {'.'.join(map(str, path))}")
    # The fields the issue found, among the 100-odd walked.
    for found in (
        "POST /v1/actors legal_name",
        "POST /v1/actors description",
        "POST /v1/actors keywords.0",
        "POST /v1/actors offers.0.title",
        "POST /v1/actors contacts.0.name",
        "POST /v1/actors website",
        "POST /v1/value-chains title",
        "PUT /v1/regions/{nuts}/s3-priorities domains.0.keywords.0",
        "POST /v1/funding-sources name",
    ):
        assert any(w.startswith(found) for w in walked), (found, walked)


async def test_text_postgresql_cannot_store_in_a_query_or_path_is_a_422(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    for client in (registry, matching, funding):
        spec = await spec_of(client)
        for method, template, operation in operations(spec):
            url = concrete(spec, template, operation)
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                response = await client.request(
                    method, url, params={parameter["name"]: NUL}, headers=ADMIN
                )
                where = f"{method} {template}?{parameter['name']}"
                assert response.status_code == 422, (where, response.text)
                assert ["query", parameter["name"]] in [
                    e["loc"] for e in response.json()["errors"]
                ], where
    response = await funding.get("/v1/authority-events/a%00b", headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path"]


async def test_a_batch_refuses_the_item_with_a_nul_and_records_the_good_one(
    stack: TestStack, funding: httpx.AsyncClient
) -> None:
    actor = await beneficiary(stack)
    good = commitment("good-1", actor)
    spec = await spec_of(funding)
    item_schema = {"$ref": "#/components/schemas/AuthorityEventIn"}
    for i, path in enumerate(sorted(set(string_fields(spec, item_schema)), key=str)):
        bad = {**commitment(f"bad-{i}", actor), **document_at(path, NUL)}
        response = await funding.post(
            "/v1/authority-events:batch", json={"items": [good, bad]}, headers=LOMBARDIA
        )
        assert response.status_code == 200, (path, response.text)
        results = response.json()["items"]
        assert results[0]["status"] in {"applied", "replayed"} or results[0].get("replayed")
        assert results[1]["status"] == "rejected", path
        problem = results[1]["problem"]
        assert problem["status"] == 422
        assert ["body", "items", 1, *path] in [e["loc"] for e in problem["errors"]], path
    rows = await query(stack, "SELECT count(*) AS n FROM ledger_entries")
    assert rows[0]["n"] == 1  # the good item, once

    csv = (
        "external_id,kind,beneficiary_id,source,fund,instrument_id,amount,date,region_nuts\n"
        f"csv-good,commitment,{actor},esif,ERDF,2014IT16RFOP012,100,2024-03-01,ITC4C\n"
        f"csv-bad,commitment,{actor},esif,ERDF,2014IT16RFOP012,100,2024-03-01,IT\x00C4C\n"
    )
    response = await funding.post(
        "/v1/authority-events:csv",
        content=csv.encode(),
        headers={**LOMBARDIA, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    good_row, bad_row = response.json()["items"]
    assert good_row["status"] == "applied"
    assert bad_row["status"] == "rejected"
    assert bad_row["problem"]["errors"][0]["loc"] == ["body", "row", 3, "region_nuts"]


async def test_a_beneficiary_batch_refuses_the_item_with_a_nul_and_registers_the_good_one(
    registry: httpx.AsyncClient,
) -> None:
    items = [
        bsupport.beneficiary("b-1", "Good Ltd", national_id=bsupport.eik(1)),
        bsupport.beneficiary("b-2", "Bad\u0000 Ltd", national_id=bsupport.eik(2)),
        bsupport.beneficiary("\ud800", "Bad Too"),
    ]
    response = await registry.post(  # \ud800 escaped: no UTF-8 encodes it
        bsupport.BATCH,
        content=json.dumps({"items": items}),
        headers={**bsupport.BY_KEY, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [item["status"] for item in body["items"]]
    assert statuses[0] == "registered"
    assert statuses[1:] == ["rejected", "rejected"]
    assert body["items"][1]["problem"]["errors"][0]["loc"] == ["body", "items", 1, "legal_name"]
    assert body["items"][2]["problem"]["errors"][0]["loc"] == ["body", "items", 2, "external_id"]


# --- JSON nesting ------------------------------------------------------------------------------


async def test_json_nested_10000_deep_is_a_422_on_every_json_route(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    deep = b'{"items": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    for client in (registry, matching, funding):
        spec = await spec_of(client)
        for method, template, operation in operations(spec):
            if json_body_schema(operation) is None:
                continue
            for content_type in ("application/json", "text/plain"):
                response = await client.request(
                    method,
                    concrete(spec, template, operation),
                    content=deep,
                    headers={**ADMIN, "Content-Type": content_type},
                )
                where = f"{method} {template} as {content_type}"
                assert 400 <= response.status_code < 500, (where, response.text)
                assert response.headers["content-type"] == "application/problem+json", where


# --- body limits ---------------------------------------------------------------------------


async def test_a_20_mb_body_is_refused_after_the_first_megabyte_with_the_limit(
    registry: httpx.AsyncClient,
) -> None:
    chunk = b" " * (1024 * 1024)
    sent = 0

    async def twenty_megabytes() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(20):
            sent += 1
            yield chunk

    started = time.monotonic()
    # Chunked: no Content-Length, so the limit is counted while the body arrives.
    response = await registry.post(
        "/v1/actors",
        content=twenty_megabytes(),
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    problem = response.json()
    assert problem["limit_bytes"] == 1024 * 1024
    assert "1048576 bytes" in problem["detail"]
    assert sent <= 2  # the rest was never read
    assert time.monotonic() - started < 5  # generous: a busy machine; today 3.6 s and 600 MB

    # Declared up front: refused before a byte is read.
    response = await registry.post(
        "/v1/actors",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_batch_routes_take_more_than_a_single_resource(
    registry: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    padding = " " * (3 * 1024 * 1024)  # over the 1 MiB of a single resource
    body = '{"items": [' + padding + "1]}"
    response = await registry.post(
        bsupport.BATCH,
        content=body,
        headers={**bsupport.BY_KEY, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text[:300]  # read whole: one item refused
    assert response.json()["items"][0]["status"] == "rejected"
    too_big = b"x" * (16 * 1024 * 1024 + 1)
    response = await funding.post(
        "/v1/authority-events:csv",
        content=too_big,
        headers={**LOMBARDIA, "Content-Type": "text/csv"},
    )
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 16 * 1024 * 1024


# --- CSV: wide, long ---------------------------------------------------------------------------

WIDE_HEADER = ",".join(f"c{i}" for i in range(100_000))
LONG_CELL = "9" * 200_000


async def test_hostile_csv_is_refused_with_a_4xx_or_per_row_on_every_csv_route(
    stack: TestStack, registry: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    actor = await beneficiary(stack)
    authority_header = (
        "external_id,kind,beneficiary_id,source,fund,instrument_id,amount,date,region_nuts"
    )
    good_commitment = f"ok-1,commitment,{actor},esif,ERDF,2014IT16RFOP012,100,2024-03-01,ITC4C"
    cases: list[tuple[httpx.AsyncClient, str, dict[str, str], str]] = [
        (funding, "/v1/authority-events:csv", LOMBARDIA, f"{WIDE_HEADER}\n{'1,' * 99_999}1\n"),
        (funding, "/v1/authority-events:csv", LOMBARDIA, f"{LONG_CELL},kind\n1,2\n"),
        (
            funding,
            "/v1/authority-events:csv",
            LOMBARDIA,
            f"{authority_header}\n{good_commitment}\nlong,{LONG_CELL}\n{'x,' * 99_999}x\n",
        ),
        (registry, bsupport.CSV, bsupport.BY_KEY, f"{WIDE_HEADER}\n1\n"),
        (
            registry,
            bsupport.CSV,
            bsupport.BY_KEY,
            f"external_id,legal_name,country,nuts_code\nb1,{LONG_CELL},BG,BG413\n{'x;' * 99_999}\n",
        ),
        (registry, "/v1/imports/cordis", ADMIN, f"{WIDE_HEADER}\n1\n"),
        (registry, "/v1/imports/cordis", ADMIN, f"{LONG_CELL}\n1\n"),
        (
            registry,
            "/v1/imports/cordis",
            ADMIN,
            'projectID;organisationID;name;country\n1;"' + LONG_CELL + '";x;DE\n',
        ),
        (funding, "/v1/funding-sources/esif-programmes:import", ADMIN, f"{WIDE_HEADER}\n1\n"),
        (funding, "/v1/funding-sources/esif-programmes:import", ADMIN, f"{LONG_CELL}\n1\n"),
    ]
    for client, url, headers, text in cases:
        response = await client.post(
            url, content=text.encode(), headers={**headers, "Content-Type": "text/csv"}
        )
        where = f"{url} {text[:40]!r}"
        assert response.status_code in {200, 422}, (where, response.text[:500])
        assert len(response.content) < 100_000, where  # nothing echoed back whole
        if response.status_code == 200 and "items" in response.json():
            statuses = [item["status"] for item in response.json()["items"]]
            assert "rejected" in statuses, where
    applied = await query(stack, "SELECT count(*) AS n FROM ledger_entries")
    assert applied[0]["n"] == 1  # the good row beside the hostile ones


# --- bounded reports ---------------------------------------------------------------------------

ESIF_HEADER = (
    "MS,MS Name,CCI,Ver,Programme Title,Fund,Priority,TO_code,To short,TO long,"
    "Category of region,EAFRD Measure code,Measure short description,EAFRD Focus Area code,"
    "Focus area short description,EU Amount,National Amount,Total Amount,EU co-financing"
)


def esif_row(cci: str, total: int) -> str:
    return (
        f"AT,Austria,{cci},3,Employment Austria - ESF,ESF,1,08,Employment,Employment,"
        f"More developed,,,,,3078584,3078584,{total},50"
    )


async def test_an_import_report_lists_the_first_problems_and_counts_them_all_by_reason(
    funding: httpx.AsyncClient,
) -> None:
    long_cci = "2014AT05SFOP001" + "9" * 100_000  # under csv's 131,072 a cell
    rows = [esif_row(long_cci, 6157168), esif_row(long_cci, 6157168)]
    rows += [esif_row("2014AT05SFOP001", 6157168 + 1 + i) for i in range(3_000)]
    response = await funding.post(
        "/v1/funding-sources/esif-programmes:import",
        content="\n".join([ESIF_HEADER, *rows]).encode(),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text[:500]
    assert len(response.content) < 1_000_000  # today: every row, each id in full
    report = response.json()
    assert report["rejected"] == 3_002
    assert report["listing_limit"] == 1_000
    assert len(report["rejections"]) == 1_000
    assert [r["line"] for r in report["rejections"]] == sorted(
        r["line"] for r in report["rejections"]
    )
    first = report["rejections"][0]
    assert first["line"] == 2
    assert len(first["reason"]) < 600  # today: the CCI quoted whole, a megabyte
    assert "characters in all]" in first["reason"]
    by_reason = report["rejections_by_reason"]
    assert sum(by_reason.values()) >= 3_002
    assert max(by_reason.values()) >= 3_000  # 3,000 totals that do not add up: one reason
    assert all("[1000015 characters" not in reason or len(reason) < 250 for reason in by_reason)


async def test_an_id_of_a_megabyte_is_not_echoed_back_whole(
    stack: TestStack, funding: httpx.AsyncClient
) -> None:
    actor = await beneficiary(stack)
    huge = "id-" + "x" * 1_000_000
    response = await funding.post(
        "/v1/authority-events:batch",
        json={"items": [commitment(huge, actor)]},
        headers=LOMBARDIA,
    )
    assert response.status_code == 200, response.text[:500]
    assert len(response.content) < 10_000
    (item,) = response.json()["items"]
    assert item["status"] == "rejected"
    assert item["external_id"].startswith("id-xxx")
    assert item["external_id"].endswith("…[1000003 characters in all]")


# --- auth and words ---------------------------------------------------------------------------


def signed(claims: dict[str, Any]) -> dict[str, str]:
    now = int(time.time())
    base = {"sub": "u", "iss": "synergia", "aud": "synergia", "iat": now, "exp": now + 600}
    token = jwt.encode({**base, **claims}, DEV_JWT_SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


MALFORMED_CLAIMS: list[dict[str, Any]] = [
    {"roles": [["admin"]]},
    {"roles": "admin"},
    {"roles": ["authority"], "region": ["ITC4"]},
    {"roles": ["authority"], "region": 42},
    {"roles": ["authority"], "region": "F"},
    {"roles": ["admin"], "sub": {"id": 1}},
    {"roles": ["sme"], "actor_id": [1]},
    {"roles": ["admin"], "exp": None},
]


async def test_validly_signed_tokens_with_malformed_claims_are_401(
    registry: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    for claims in MALFORMED_CLAIMS:
        headers = signed(claims)
        if claims.get("exp", 0) is None:  # no expiry at all
            now = int(time.time())
            token = jwt.encode(
                {"sub": "u", "iss": "synergia", "aud": "synergia", "iat": now, "roles": ["admin"]},
                DEV_JWT_SECRET,
                algorithm="HS256",
            )
            headers = {"Authorization": f"Bearer {token}"}
        for client, url in ((registry, "/v1/actors"), (funding, "/v1/authority-events")):
            response = await client.get(url, headers=headers)
            assert response.status_code == 401, (claims, response.text)
            assert response.headers["content-type"] == "application/problem+json"


PYTHON_WORDS = (
    "<",
    "Role.",
    "None",
    "Decimal(",
    "UUID(",
    "Value error",
    "instance of",
    "NoneType",
    "Traceback",
    "dict_",
    "'str'",
    "'int'",
    "['",  # a Python list's repr
)


async def test_refusals_speak_the_users_language_not_pythons(
    stack: TestStack,
    registry: httpx.AsyncClient,
    matching: httpx.AsyncClient,
    funding: httpx.AsyncClient,
) -> None:
    actor = await beneficiary(stack)
    viewer = auth("viewer")
    bad_actor = {
        "legal_name": None,
        "kind": "nope",
        "country": 5,
        "offers": ["x", {"type": "x", "title": None}],
        "financials": [{"year": "abc", "headcount": "x", "turnover": {}, "balance_sheet": []}],
        "owners": [{"owner_actor_id": "not-a-uuid", "share_percent": "abc"}],
        "contacts": [{"name": "a", "email": "bad", "consent_given_at": "yesterday"}],
        "unknown": 1,
    }
    bad_items = [
        1,
        "a",
        None,
        [],
        {**commitment("c1", actor), "amount": "abc", "kind": "x", "date": "x"},
        {**commitment("c2", actor), "amount": 1e300, "beneficiary_id": "zz"},
        {**commitment("c3", actor), "amount": None, "source": None},
    ]
    refused = [
        await registry.post("/v1/actors", json={"legal_name": "A"}, headers=viewer),
        await registry.post("/v1/actors", json=bad_actor, headers=ADMIN),
        await registry.post("/v1/actors", json=[1, 2], headers=ADMIN),
        await registry.post(
            "/v1/actors",
            json={
                "legal_name": "A",
                "kind": "sme",
                "country": "DE",
                "offers": [{"type": "technology_request", "title": "x"}],
            },
            headers=ADMIN,
        ),
        await registry.get("/v1/actors/not-a-uuid", headers=ADMIN),
        await registry.get("/v1/actors", params={"limit": "many"}, headers=ADMIN),
        await registry.post("/v1/value-chains", json={"title": 1, "stages": None}, headers=ADMIN),
        await matching.post("/v1/partner-searches", json={"actor_id": 5}, headers=ADMIN),
        await matching.post("/v1/partner-searches", json={}, headers=viewer),
        await funding.post("/v1/authority-events:batch", json={"items": bad_items}, headers=ADMIN),
        await funding.post("/v1/authority-events:batch", json={"items": []}, headers=ADMIN),
        await funding.post("/v1/authority-events:batch", json={"items": [1]}, headers=viewer),
        await funding.post("/v1/funding-sources", json={"kind": None, "name": 3}, headers=ADMIN),
        *[await registry.get("/v1/actors", headers=signed(c)) for c in MALFORMED_CLAIMS[:-1]],
    ]
    texts = " ".join(response.text for response in refused)
    assert "the caller has viewer" in texts  # the roles by name
    assert "is not an offer; use one of business_offer, technology_offer" in texts
    for response in refused:
        assert response.status_code in {200, 401, 403, 422}, response.text
        text = response.text
        leaks = [word for word in PYTHON_WORDS if word in text]
        assert not leaks, (response.request.url, leaks, text)


async def test_an_import_refuses_the_row_with_a_nul_and_loads_the_others(
    stack: TestStack, registry: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    cordis = (FIXTURES / "cordis" / "organization_sample.csv").read_text("utf-8-sig").splitlines()
    header, first, second = cordis[0], cordis[1], cordis[2]
    response = await registry.post(
        "/v1/imports/cordis",
        content="\n".join([header, first, second.replace("OLIVE SENSORS", "OLIVE\x00SENSORS")]),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["rows_rejected"]) == (1, 1)
    (rejection,) = report["rejections"]
    assert rejection["line"] == 3
    assert rejection["reason"].startswith("name: contains a NUL character")

    good = esif_row("2014AT05SFOP001", 6157168)
    bad = good.replace("Employment Austria", "Employment\x00Austria").replace(",1,08,", ",2,08,")
    response = await funding.post(
        "/v1/funding-sources/esif-programmes:import",
        content="\n".join([ESIF_HEADER, good, bad]).encode(),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["lines_loaded"], report["rejected"]) == (1, 1)
    assert report["rejections"][0]["line"] == 3
    assert report["rejections"][0]["reason"].startswith("Programme Title: contains a NUL")
