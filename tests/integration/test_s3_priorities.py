"""Regional S3 priorities: set by an admin or the region's own authority, with If-Match."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.stack import auth

DOMAINS = {
    "domains": [
        {
            "name": "Mechatronics and motor",
            "nace_codes": ["28.11", "C29", "c"],
            "ecosystems": ["mobility_transport_automotive", "mobility_transport_automotive"],
            "keywords": ["automotive", "automotive", "robotics"],
        }
    ]
}


def authority(region: str) -> dict[str, str]:
    return auth("authority", region=region)


async def put(
    matching: httpx.AsyncClient,
    nuts: str,
    body: dict[str, Any],
    headers: dict[str, str],
    if_match: str | None = '"0"',
) -> httpx.Response:
    extra = {"If-Match": if_match} if if_match is not None else {}
    return await matching.put(
        f"/v1/regions/{nuts}/s3-priorities", json=body, headers={**headers, **extra}
    )


async def test_an_authority_sets_its_regions_priorities_and_anyone_reads_them(
    matching: httpx.AsyncClient,
) -> None:
    unset = await matching.get("/v1/regions/ITH5/s3-priorities", headers=auth("viewer"))
    assert unset.status_code == 200
    assert unset.headers["etag"] == '"0"'
    assert unset.json()["domains"] == []
    assert unset.json()["region_name"] == "Emilia-Romagna"

    created = await put(matching, "ith5", DOMAINS, authority("ITH"))
    assert created.status_code == 200, created.text
    assert created.headers["etag"] == '"1"'
    body = created.json()
    assert body["nuts_code"] == "ITH5"
    assert body["updated_by"] == "test-authority"
    domain = body["domains"][0]
    assert domain["nace_codes"] == ["C28.11", "C29", "C"], "canonical NACE"
    assert domain["ecosystems"] == ["mobility_transport_automotive"], "repeats dropped"
    assert domain["keywords"] == ["automotive", "robotics"]

    read = await matching.get("/v1/regions/ITH5/s3-priorities", headers=auth("investor"))
    assert read.json() == body

    replaced = await put(matching, "ITH5", {"domains": []}, auth("admin"), if_match='"1"')
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] == '"2"'
    assert replaced.json()["domains"] == []


async def test_writes_are_guarded_by_role_region_and_version(
    matching: httpx.AsyncClient,
) -> None:
    outside = await put(matching, "DE11", DOMAINS, authority("ITH"))
    assert outside.status_code == 403
    assert "ITH" in outside.json()["detail"]
    larger = await put(matching, "IT", DOMAINS, authority("ITH5"))
    assert larger.status_code == 403, "a region's authority cannot set its country's"
    sme = await put(matching, "ITH5", DOMAINS, auth("sme"))
    assert sme.status_code == 403
    anonymous = await matching.put("/v1/regions/ITH5/s3-priorities", json=DOMAINS)
    assert anonymous.status_code == 401

    blind = await put(matching, "ITH5", DOMAINS, auth(), if_match=None)
    assert blind.status_code == 428
    assert (await put(matching, "ITH5", DOMAINS, auth())).status_code == 200
    stale = await put(matching, "ITH5", DOMAINS, auth(), if_match='"0"')
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"1"'
    unchanged = await matching.get("/v1/regions/ITH5/s3-priorities", headers=auth())
    assert unchanged.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    ("nuts", "body", "loc"),
    [
        ("XX99", DOMAINS, ["path", "nuts"]),
        ("ITZ9", DOMAINS, ["path", "nuts"]),
        (
            "ITH5",
            {"domains": [{"name": "x", "nace_codes": ["99.99"]}]},
            ["body", "domains", 0, "nace_codes", 0],
        ),
        (
            "ITH5",
            {"domains": [{"name": "x", "ecosystems": ["space"]}]},
            ["body", "domains", 0, "ecosystems", 0],
        ),
        ("ITH5", {"domains": [{"name": ""}]}, ["body", "domains", 0, "name"]),
        ("ITH5", {"domains": [], "extra": 1}, ["body", "extra"]),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    matching: httpx.AsyncClient, nuts: str, body: dict[str, Any], loc: list[Any]
) -> None:
    response = await put(matching, nuts, body, auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]]


async def test_two_first_writes_at_once_one_wins_the_other_is_told_it_is_stale(
    matching: httpx.AsyncClient,
) -> None:
    other = {"domains": [{**DOMAINS["domains"][0], "name": "Agrifood"}]}
    answers = await asyncio.gather(
        put(matching, "ITH5", DOMAINS, authority("ITH")),
        put(matching, "ITH5", other, authority("ITH")),
    )
    assert sorted(a.status_code for a in answers) == [200, 412]
    winner = next(a for a in answers if a.status_code == 200)
    stored = await matching.get("/v1/regions/ITH5/s3-priorities", headers=auth("viewer"))
    assert stored.json()["domains"] == winner.json()["domains"]
    assert stored.headers["etag"] == '"1"'
